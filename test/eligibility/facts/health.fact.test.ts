import { expect } from 'chai';
import {
  isChronic, isChronicSeriousOrDisabled, isDisabled, isSeriouslyIll, isSeverelyDisabled,
} from '../../../src/eligibility/facts/health.fact';

describe('facts: health', () => {
  it('counts a recorded grade as disabled whatever 健康状况 says', () => {
    expect(isDisabled({ health: 'healthy', disability: { category: 'physical', grade: 4 } })).to.equal(true);
  });

  it('counts 健康状况 disabled without a grade as disabled, but not severely', () => {
    expect(isDisabled({ health: 'disabled', disability: null })).to.equal(true);
    expect(isSeverelyDisabled({ health: 'disabled', disability: null })).to.equal(false);
  });

  it('calls grades 1 and 2 severe, 3 and 4 not', () => {
    expect(isSeverelyDisabled({ disability: { category: 'visual', grade: 2 } })).to.equal(true);
    expect(isSeverelyDisabled({ disability: { category: 'visual', grade: 3 } })).to.equal(false);
  });

  it('is unknown when neither a grade nor 健康状况 is recorded', () => {
    expect(isDisabled({ health: null, disability: null })).to.equal(undefined);
    expect(isChronic({ health: null })).to.equal(undefined);
  });

  it('tells chronic from seriously ill, and counts either or disability for 健康扶贫', () => {
    expect(isChronic({ health: 'chronic' })).to.equal(true);
    expect(isSeriouslyIll({ health: 'chronic' })).to.equal(false);
    expect(isChronicSeriousOrDisabled({ health: 'serious' })).to.equal(true);
    expect(isChronicSeriousOrDisabled({ health: 'healthy', disability: { category: 'hearing', grade: 3 } })).to.equal(true);
    expect(isChronicSeriousOrDisabled({ health: 'healthy', disability: null })).to.equal(false);
  });
});
