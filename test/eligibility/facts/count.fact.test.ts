import { expect } from 'chai';
import { countMembers, membersWhere } from '../../../src/eligibility/facts/count.fact';

describe('facts: member counts', () => {
  it('counts the members for which the predicate holds', () => {
    expect(countMembers([true, false, true])).to.equal(2);
    expect(countMembers([false, false])).to.equal(0);
  });

  it('is known once one member counts, even if others are undecided', () => {
    expect(countMembers([undefined, true])).to.equal(1);
  });

  it('is unknown when none counts and one is undecided', () => {
    expect(countMembers([false, undefined])).to.equal(undefined);
  });

  it('never holds for a household with no members', () => {
    expect(countMembers([])).to.equal(undefined);
  });

  it('lists the counted members by index, leaving out undecided ones', () => {
    expect(membersWhere([true, undefined, false, true])).to.deep.equal([0, 3]);
  });
});
