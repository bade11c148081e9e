import { expect } from 'chai';
import { isAbleToWork, isMicroloanEligibleMember } from '../../../src/eligibility/facts/labor.fact';

const laborAge = { min: 16, max: 59 };
const microloanAge = { min: 18, max: 65 };

describe('facts: labour', () => {
  it('counts ordinary and skilled labour within the working age, both ends included', () => {
    expect(isAbleToWork({ labor: 'ordinary' }, 16, laborAge)).to.equal(true);
    expect(isAbleToWork({ labor: 'skilled' }, 59, laborAge)).to.equal(true);
    expect(isAbleToWork({ labor: 'ordinary' }, 15, laborAge)).to.equal(false);
    expect(isAbleToWork({ labor: 'ordinary' }, 60, laborAge)).to.equal(false);
  });

  it('never counts lost or no labour, even without an age', () => {
    expect(isAbleToWork({ labor: 'lost' }, undefined, laborAge)).to.equal(false);
    expect(isAbleToWork({ labor: 'none' }, 30, laborAge)).to.equal(false);
  });

  it('is unknown for a labourer without an age, or without a recorded skill', () => {
    expect(isAbleToWork({ labor: 'ordinary' }, undefined, laborAge)).to.equal(undefined);
    expect(isAbleToWork({ labor: null }, 30, laborAge)).to.equal(undefined);
  });

  it('takes microloan borrowers aged 18 to 65', () => {
    expect(isMicroloanEligibleMember({ labor: 'ordinary' }, 17, microloanAge)).to.equal(false);
    expect(isMicroloanEligibleMember({ labor: 'ordinary' }, 18, microloanAge)).to.equal(true);
    expect(isMicroloanEligibleMember({ labor: 'skilled' }, 65, microloanAge)).to.equal(true);
    expect(isMicroloanEligibleMember({ labor: 'skilled' }, 66, microloanAge)).to.equal(false);
  });
});
