import { expect } from 'chai';
import { duplicatePersonIds, invalidIdNumberCount, personIdsOf } from '../../../src/eligibility/facts/identity.fact';

describe('facts: identity numbers', () => {
  it('finds numbers failing GB 11643', () => {
    const ids = personIdsOf([{ idNumber: '11010519491231002X' }, { idNumber: '110105194912310021' }, { idNumber: null as never }]);
    expect(ids[0]).to.equal('11010519491231002X');
    expect(invalidIdNumberCount(ids)).to.equal(2);
  });

  it('keys a disability card number by its 身份证 part', () => {
    expect(personIdsOf([{ idNumber: '11010519491231002X42' }])).to.deep.equal(['11010519491231002X']);
  });

  it('finds a person listed twice in the household or seen in an earlier household', () => {
    expect(duplicatePersonIds(['A', 'B', 'A'])).to.deep.equal(['A']);
    expect(duplicatePersonIds(['A', 'C'], new Set(['C']))).to.deep.equal(['C']);
    expect(duplicatePersonIds(['A', undefined, undefined])).to.deep.equal([]);
  });
});
