import { expect } from 'chai';
import { isUninsured } from '../../../src/eligibility/facts/insurance.fact';

describe('facts: basic medical insurance', () => {
  it('calls a member without basic medical insurance uninsured', () => {
    expect(isUninsured({ insurance: { medical: false, seriousIllness: true, pension: true } })).to.equal(true);
    expect(isUninsured({ insurance: { medical: true, seriousIllness: false, pension: false } })).to.equal(false);
  });

  it('is unknown when the insurance is not recorded', () => {
    expect(isUninsured({ insurance: { medical: null, seriousIllness: null, pension: null } })).to.equal(undefined);
    expect(isUninsured({})).to.equal(undefined);
  });
});
