import { expect } from 'chai';
import { ageOn, birthDateOf, fullYears } from '../../../src/eligibility/facts/age.fact';

describe('facts: ages on the as-of date', () => {
  it('counts full years: the day before the birthday is still the younger age', () => {
    expect(fullYears('1965-07-01', '2024-06-30')).to.equal(58);
    expect(fullYears('1965-06-30', '2024-06-30')).to.equal(59);
  });

  it('reaches a 29 February birthday on 1 March in a common year', () => {
    expect(fullYears('2008-02-29', '2023-02-28')).to.equal(14);
    expect(fullYears('2008-02-29', '2023-03-01')).to.equal(15);
    expect(fullYears('2008-02-29', '2024-02-29')).to.equal(16);
  });

  it('takes the birth date from the ID number when the record has none', () => {
    expect(birthDateOf({ birthDate: null, idNumber: '11010519491231002X' })).to.equal('1949-12-31');
    expect(ageOn({ birthDate: null, idNumber: '11010519491231002X' }, '2024-06-30')).to.equal(74);
  });

  it('is unknown without a birth date or a valid ID number, or when born after the date', () => {
    expect(ageOn({ birthDate: null, idNumber: '123' }, '2024-06-30')).to.equal(undefined);
    expect(ageOn({ birthDate: '2024-13-01', idNumber: null }, '2024-06-30')).to.equal(undefined);
    expect(ageOn({ birthDate: '2025-01-01' }, '2024-06-30')).to.equal(undefined);
  });
});
