/**
 * The ID-number reading an eligibility run does for every member (src/registry/id-number.ts) has
 * a fast path for numbers already in stored form. Registry validation uses the same function, so
 * its answers must not change: this compares them, and `isRealDate`'s, with the reading as first
 * written (a regular expression, substrings, the date formatted per call), kept here as the
 * reference, over valid numbers and every kind of damage.
 */
import { expect } from 'chai';
import { checkDigit, isRealDate, parseIdNumber, type IdNumberResult } from '../../src/registry/id-number';
import { generateCounty, seededRandom } from '../../src/ledger/synthetic-county';

const PROVINCES = new Set(['11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65', '71', '81', '82', '83']);
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function referenceIsRealDate(iso: string): boolean {
  if (typeof iso !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(iso)) return false;
  const [year, month, day] = [Number(iso.slice(0, 4)), Number(iso.slice(5, 7)), Number(iso.slice(8, 10))];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && leap ? 29 : DAYS[month - 1]);
}

function referenceParse(raw: unknown, today: Date): IdNumberResult {
  if (typeof raw !== 'string') return { valid: false, problem: 'format', message: 'ID number must be text, not a number' };
  const idNumber = raw.trim().toUpperCase();
  if (!/^\d{17}[\dX](\d{2}|\d{4})?$/.test(idNumber)) {
    return { valid: false, problem: 'format', message: 'ID number must be 18 characters (17 digits and a digit or X), or a 20/22-digit disability card number' };
  }
  const personId = idNumber.slice(0, 18);
  if (!PROVINCES.has(personId.slice(0, 2))) return { valid: false, problem: 'region', message: 'ID number does not start with a province code' };
  const birthDate = `${personId.slice(6, 10)}-${personId.slice(10, 12)}-${personId.slice(12, 14)}`;
  if (!referenceIsRealDate(birthDate) || birthDate < '1890-01-01' || birthDate > today.toISOString().slice(0, 10)) {
    return { valid: false, problem: 'birth-date', message: 'ID number does not hold a real birth date in the past' };
  }
  if (checkDigit(personId) !== personId[17]) return { valid: false, problem: 'check-digit', message: 'ID number check digit is wrong (GB 11643)' };
  return { valid: true, idNumber, personId, birthDate, gender: Number(personId[16]) % 2 === 1 ? 'male' : 'female' };
}

/** Valid numbers of a synthetic county, and each damaged in the ways ledgers damage them. */
function samples(): unknown[] {
  const r = seededRandom(11643);
  const ids: string[] = [];
  for (const h of generateCounty({ households: 100, seed: 7 }).households()) for (const m of h.members) ids.push(m.idNumber);
  const withCheck = (first17: string) => first17 + checkDigit(first17);
  ids.push(withCheck('11010519491231002'), withCheck('11010520000229001'), withCheck('11010519000229001'), withCheck('11010518891231001'),
    withCheck('11010518900101001'), withCheck('11010520240630001'), withCheck('11010520240701001'), withCheck('00010519800101001'));
  const out: unknown[] = [null, undefined, 110105194912310020, {}, '', 'X'];
  for (const id of ids) {
    const at = Math.floor(r() * 18);
    const digit = String(Math.floor(r() * 10));
    out.push(id, id.toLowerCase(), ` ${id}`, `${id}\n`, `${id}21`, `${id}2102`, `${id}2`, `${id}210`, id.slice(0, 17), id.slice(0, 17) + 'X',
      id.slice(0, at) + digit + id.slice(at + 1), id.slice(0, at) + 'X' + id.slice(at + 1), id.slice(0, at) + '١' + id.slice(at + 1),
      `99${id.slice(2)}`, id.slice(0, 6) + '2099' + id.slice(10), id.slice(0, 10) + '0230' + id.slice(14), `${id.slice(0, 17)}x`);
  }
  return out;
}

describe('id-number: the fast path answers as the general reading does', () => {
  const today = new Date('2024-06-30T12:00:00Z');

  it('parses valid and damaged numbers alike, on several days', () => {
    const all = samples();
    expect(all.filter((s) => parseIdNumber(s, today).valid).length).to.be.greaterThan(300);
    for (const day of [today, new Date('2024-07-01T00:00:00Z'), new Date('2024-06-30T23:59:59.999Z'), new Date('1995-01-01T00:00:00Z'), today]) {
      for (const s of all) expect(parseIdNumber(s, day), `${String(s)} on ${day.toISOString()}`).to.deep.equal(referenceParse(s, day));
    }
  });

  it('throws for an invalid today exactly where the general reading does', () => {
    const bad = new Date(NaN);
    for (const s of samples().slice(0, 200)) {
      let expected: unknown;
      try { expected = referenceParse(s, bad); } catch (err) { expected = (err as Error).name; }
      let got: unknown;
      try { got = parseIdNumber(s, bad); } catch (err) { got = (err as Error).name; }
      expect(got, String(s)).to.deep.equal(expected);
    }
  });

  it('knows real days as the regular expression did', () => {
    const r = seededRandom(20240630);
    const texts = ['2024-02-29', '2023-02-29', '2000-02-29', '1900-02-29', '0000-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '2024-12-31',
      '2024-1-01', '2024/01/01', '２０２４-01-01', '2024-01-01 ', '2024-01-011', '+2024-01-0', 'abcd-ef-gh', '', '2024-01-0a'];
    for (let i = 0; i < 5000; i++) {
      const y = String(Math.floor(r() * 10000)).padStart(4, '0');
      const m = String(Math.floor(r() * 14)).padStart(2, '0');
      const d = String(Math.floor(r() * 33)).padStart(2, '0');
      texts.push(`${y}-${m}-${d}`);
    }
    for (const t of texts) expect(isRealDate(t), t).to.equal(referenceIsRealDate(t));
    expect(isRealDate(20240101 as unknown as string)).to.equal(false);
  });
});
