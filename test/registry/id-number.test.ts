import { expect } from 'chai';
import { checkDigit, isRealDate, maskIdNumber, maskPhone, parseIdNumber } from '../../src/registry/id-number';
import { makeIdNumber, withWrongCheckDigit } from '../helpers/id-numbers';

describe('id-number (GB 11643-1999)', () => {
  const today = new Date('2024-06-30T12:00:00Z');

  it('computes the check character of the standard\'s examples', () => {
    // GB 11643-1999 appendix examples: 11010519491231002X and 440524188001010014.
    expect(checkDigit('11010519491231002')).to.equal('X');
    expect(checkDigit('44052418800101001')).to.equal('4');
  });

  it('accepts a valid number and derives the person key, birth date and gender', () => {
    expect(parseIdNumber('11010519491231002X', today)).to.deep.equal({
      valid: true, idNumber: '11010519491231002X', personId: '11010519491231002X', birthDate: '1949-12-31', gender: 'female',
    });
    const male = parseIdNumber(makeIdNumber('1980-05-06', 13), today);
    expect(male.valid && male.gender).to.equal('male');
  });

  it('upper-cases a trailing x and trims spaces', () => {
    const r = parseIdNumber(' 11010519491231002x ', today);
    expect(r.valid && r.idNumber).to.equal('11010519491231002X');
  });

  it('refuses numbers (not text), whatever their value', () => {
    // What JSON.parse makes of 440524188001010014: the last digits are already gone.
    const r = parseIdNumber(JSON.parse('440524188001010014') as unknown, today);
    expect(r).to.include({ valid: false, problem: 'format' });
    expect(parseIdNumber(null, today)).to.include({ valid: false, problem: 'format' });
  });

  it('refuses a wrong check digit', () => {
    expect(parseIdNumber(withWrongCheckDigit('11010519491231002X'), today)).to.include({ valid: false, problem: 'check-digit' });
  });

  it('refuses impossible and future birth dates (boundary: today is accepted, tomorrow is not)', () => {
    expect(parseIdNumber(makeIdNumber('1999-02-29', 1), today)).to.include({ problem: 'birth-date' });
    expect(parseIdNumber(makeIdNumber('2000-13-01', 1), today)).to.include({ problem: 'birth-date' });
    expect(parseIdNumber(makeIdNumber('2024-06-30', 1), today).valid).to.equal(true);
    expect(parseIdNumber(makeIdNumber('2024-07-01', 1), today)).to.include({ problem: 'birth-date' });
    expect(parseIdNumber(makeIdNumber('1889-12-31', 1), today)).to.include({ problem: 'birth-date' });
  });

  it('refuses a region prefix that is no province', () => {
    expect(parseIdNumber(makeIdNumber('1980-01-01', 1, '001122'), today)).to.include({ problem: 'region' });
  });

  it('refuses wrong lengths and an X anywhere but the check position', () => {
    for (const s of ['1101051949123100', '11010519491231002X1', '1101051949123100XX', 'X1010519491231002X', '']) {
      expect(parseIdNumber(s, today), s).to.include({ valid: false, problem: 'format' });
    }
  });

  it('accepts 20- and 22-digit disability card numbers by their first 18 characters', () => {
    const r20 = parseIdNumber('11010519491231002X21', today);
    expect(r20).to.include({ valid: true, personId: '11010519491231002X', idNumber: '11010519491231002X21' });
    const r22 = parseIdNumber('11010519491231002x2102', today);
    expect(r22).to.include({ valid: true, personId: '11010519491231002X', idNumber: '11010519491231002X2102' });
    expect(parseIdNumber('11010519491231002X211', today)).to.include({ valid: false, problem: 'format' });
    expect(parseIdNumber(`${withWrongCheckDigit('11010519491231002X')}21`, today)).to.include({ problem: 'check-digit' });
  });

  it('knows real calendar days', () => {
    expect(isRealDate('2024-02-29')).to.equal(true);
    expect(isRealDate('2023-02-29')).to.equal(false);
    expect(isRealDate('2023-2-28')).to.equal(false);
  });

  it('masks ID numbers and phones, keeping region and sequence visible', () => {
    expect(maskIdNumber('11010519491231002X')).to.equal('110105********002X');
    expect(maskIdNumber('11010519491231002X21')).to.equal('110105********002X21');
    expect(maskPhone('13812345678')).to.equal('138****5678');
    expect(maskPhone('12345')).to.equal('*****');
  });
});
