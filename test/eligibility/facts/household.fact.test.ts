import { expect } from 'chai';
import {
  amount, declaredMemberCountDiffers, flag, headCount, memberCount, membersOf, tekunCareOf,
} from '../../../src/eligibility/facts/household.fact';

describe('facts: household fields', () => {
  it('reads a flag or an amount of the wrong type as unknown', () => {
    expect(flag(true)).to.equal(true);
    expect(flag('是')).to.equal(undefined);
    expect(amount(0)).to.equal(0);
    expect(amount('0')).to.equal(undefined);
    expect(amount(Number.NaN)).to.equal(undefined);
  });

  it('counts listed members, unknown for none, and heads', () => {
    const members = membersOf({ members: [{ relation: 'head' }, { relation: 'spouse' }, null] as never });
    expect(memberCount(members)).to.equal(2);
    expect(memberCount([])).to.equal(undefined);
    expect(headCount(members)).to.equal(1);
    expect(membersOf({ members: 'x' as never })).to.deep.equal([]);
  });

  it('gives no care mode for a non-特困 household, and an unknown one when a 特困 household lacks it', () => {
    expect(tekunCareOf({ tekun: false, tekunCare: null })).to.equal(null);
    expect(tekunCareOf({ tekun: true, tekunCare: 'concentrated' })).to.equal('concentrated');
    expect(tekunCareOf({ tekun: true, tekunCare: null })).to.equal(undefined);
  });

  it('compares a ledger 家庭人口数 with the members listed, when one was carried', () => {
    expect(declaredMemberCountDiffers({ memberCount: 3 }, 2)).to.equal(true);
    expect(declaredMemberCountDiffers({ memberCount: 2 }, 2)).to.equal(false);
    expect(declaredMemberCountDiffers({}, 2)).to.equal(false);
  });
});
