/**
 * 公民身份号码 checks by GB 11643-1999 (SECURITY.md "Identity numbers").
 *
 * An 18-character number is 6 digits of region, 8 of birth date (YYYYMMDD), 3 of sequence and one
 * check character. 残疾人证 numbers are the holder's 身份证 number followed by 2 digits (category
 * and grade) or 4; their first 18 characters follow the same rule and identify the person.
 */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';

/** 11–65, 71 (台湾), 81–82 (港澳) and 83 (港澳台居民居住证) are the province codes in use. */
const PROVINCE_PREFIXES = new Set([
  '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65',
  '71', '81', '82', '83',
]);

export type IdNumberProblem = 'format' | 'region' | 'birth-date' | 'check-digit';

export type IdNumberResult =
  | { valid: true; idNumber: string; personId: string; birthDate: string; gender: 'male' | 'female' }
  | { valid: false; problem: IdNumberProblem; message: string };

export function checkDigit(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK_CHARS[sum % 11];
}

/**
 * Validates an 18-digit 身份证 number or a 20/22-digit 残疾人证 number. `idNumber` is the value to
 * store (lower-case x upper-cased); `personId` is its first 18 characters, the key that keeps a
 * person in one household whichever card was recorded. `today` bounds the birth date.
 */
export function parseIdNumber(raw: unknown, today: Date = new Date()): IdNumberResult {
  if (typeof raw !== 'string') {
    // A JSON number or a numeric Excel cell has already lost digits past 2^53.
    return { valid: false, problem: 'format', message: 'ID number must be text, not a number' };
  }
  const idNumber = raw.trim().toUpperCase();
  if (!/^\d{17}[\dX](\d{2}|\d{4})?$/.test(idNumber)) {
    return { valid: false, problem: 'format', message: 'ID number must be 18 characters (17 digits and a digit or X), or a 20/22-digit disability card number' };
  }
  const personId = idNumber.slice(0, 18);
  if (!PROVINCE_PREFIXES.has(personId.slice(0, 2))) {
    return { valid: false, problem: 'region', message: 'ID number does not start with a province code' };
  }
  const birthDate = `${personId.slice(6, 10)}-${personId.slice(10, 12)}-${personId.slice(12, 14)}`;
  if (!isRealDate(birthDate) || birthDate < '1890-01-01' || birthDate > today.toISOString().slice(0, 10)) {
    return { valid: false, problem: 'birth-date', message: 'ID number does not hold a real birth date in the past' };
  }
  if (checkDigit(personId) !== personId[17]) {
    return { valid: false, problem: 'check-digit', message: 'ID number check digit is wrong (GB 11643)' };
  }
  // The 17th digit (sequence) is odd for men and even for women.
  const gender = Number(personId[16]) % 2 === 1 ? 'male' : 'female';
  return { valid: true, idNumber, personId, birthDate, gender };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * `YYYY-MM-DD` that names a day of the Gregorian calendar (no 2月30日). Plain arithmetic: this
 * runs for every member's age and ID number in an eligibility run, where building a Date and
 * formatting it back was the run's largest single cost.
 */
export function isRealDate(iso: string): boolean {
  if (typeof iso !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(iso)) return false;
  const year = Number(iso.slice(0, 4));
  const month = Number(iso.slice(5, 7));
  const day = Number(iso.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]);
}

/** 110105********002X: region and sequence stay visible so a cadre can tell people apart. */
export function maskIdNumber(idNumber: string): string {
  if (idNumber.length < 10) return '*'.repeat(idNumber.length);
  return idNumber.slice(0, 6) + '*'.repeat(8) + idNumber.slice(14);
}

/** 138****5678. */
export function maskPhone(phone: string): string {
  if (phone.length < 7) return '*'.repeat(phone.length);
  return phone.slice(0, 3) + '*'.repeat(phone.length - 7) + phone.slice(-4);
}
