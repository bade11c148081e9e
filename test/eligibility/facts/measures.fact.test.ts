import { expect } from 'chai';
import { countInForce, fullMonths, identificationDate, monthsSinceIdentified } from '../../../src/eligibility/facts/measures.fact';

describe('facts: helpers, support measures and time since identification', () => {
  it('counts entries in force on the date (started, not yet ended)', () => {
    const helpers = [
      { since: '2019-01-01', until: null },
      { since: '2019-01-01', until: '2024-01-01' },
      { since: '2024-07-01', until: null },
    ];
    expect(countInForce(helpers, '2024-06-30')).to.equal(1);
    expect(countInForce(helpers, '2024-01-01')).to.equal(2);
    expect(countInForce(undefined, '2024-06-30')).to.equal(0);
  });

  it('counts full calendar months', () => {
    expect(fullMonths('2024-05-30', '2024-06-30')).to.equal(1);
    expect(fullMonths('2024-05-31', '2024-06-30')).to.equal(0);
    expect(fullMonths('2023-12-15', '2024-02-14')).to.equal(1);
  });

  it('dates an open monitoring case from 纳入监测, others from 首次识别', () => {
    const monitoring = { type: 'marginal' as const, risks: [], identifiedAt: '2024-03-01', riskEliminated: false, eliminatedAt: null };
    expect(identificationDate({ identifiedAt: '2014-10-01', monitoring }, true)).to.equal('2024-03-01');
    expect(identificationDate({ identifiedAt: '2014-10-01', monitoring }, false)).to.equal('2014-10-01');
    expect(monthsSinceIdentified(undefined, '2024-06-30')).to.equal(undefined);
    expect(monthsSinceIdentified('2024-07-01', '2024-06-30')).to.equal(undefined);
  });
});
