import { expect } from 'chai';
import { isDropout, isStudent, isVocationalStudent } from '../../../src/eligibility/facts/schooling.fact';

const compulsory = { min: 6, max: 15 };

describe('facts: schooling', () => {
  it('counts every 在校生状况 but 非在校生 as a student', () => {
    expect(isStudent({ schooling: 'preschool' })).to.equal(true);
    expect(isStudent({ schooling: 'undergraduate' })).to.equal(true);
    expect(isStudent({ schooling: 'none' })).to.equal(false);
    expect(isStudent({ schooling: null })).to.equal(undefined);
  });

  it('counts 中职 and 高职 for 雨露计划, not 高中', () => {
    expect(isVocationalStudent({ schooling: 'secondary-vocational' })).to.equal(true);
    expect(isVocationalStudent({ schooling: 'higher-vocational' })).to.equal(true);
    expect(isVocationalStudent({ schooling: 'senior' })).to.equal(false);
  });

  it('calls a 15-year-old out of school a dropout, a 16-year-old not', () => {
    expect(isDropout({ schooling: 'none', homeSchooling: false }, 15, compulsory)).to.equal(true);
    expect(isDropout({ schooling: 'none', homeSchooling: false }, 16, compulsory)).to.equal(false);
    expect(isDropout({ schooling: 'none', homeSchooling: false }, 5, compulsory)).to.equal(false);
  });

  it('calls no child taught at home (送教上门) or in school a dropout, whatever the age', () => {
    expect(isDropout({ schooling: 'none', homeSchooling: true }, 12, compulsory)).to.equal(false);
    expect(isDropout({ schooling: 'junior', homeSchooling: false }, undefined, compulsory)).to.equal(false);
  });

  it('is unknown for a member out of school whose age is unknown', () => {
    expect(isDropout({ schooling: 'none', homeSchooling: false }, undefined, compulsory)).to.equal(undefined);
  });
});
