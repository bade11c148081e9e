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

/** The same, by number (`PROVINCE_CODES[11]`), for the fast path. */
const PROVINCE_CODES: readonly boolean[] = Array.from({ length: 100 }, (_, n) => PROVINCE_PREFIXES.has(String(n).padStart(2, '0')));

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
  return (typeof raw === 'string' && validIdNumber(raw, today)) || parseIdNumberFully(raw, today);
}

/**
 * The common case without the general path's allocations (trim, upper-case, a regular
 * expression, substrings, a date formatted per call): an eligibility run parses every member's
 * number, and this was a sixth of a determination's cost. Only a number already in stored form
 * (digits, an upper-case X as check character, nothing to trim) that passes every check is
 * answered here; anything else, and every refusal with its message, comes from
 * `parseIdNumberFully`, so both give the same answer for every input.
 */
function validIdNumber(raw: string, today: Date): IdNumberResult | undefined {
  const length = raw.length;
  if (length !== 18 && length !== 20 && length !== 22) return undefined;
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const digit = raw.charCodeAt(i) - 48;
    if (digit >= 0 && digit <= 9) {
      if (i < 17) sum += digit * WEIGHTS[i];
    } else if (i !== 17 || digit !== 88 - 48) {
      return undefined;
    }
  }
  if (CHECK_CHARS[sum % 11] !== raw[17]) return undefined;
  if (!PROVINCE_CODES[digitsAt(raw, 0, 2)]) return undefined;
  // Every character read is a digit: the birth date is real when its month and day are.
  const year = digitsAt(raw, 6, 10);
  const month = digitsAt(raw, 10, 12);
  const day = digitsAt(raw, 12, 14);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || year * 10_000 + month * 100 + day < 18_900_101) return undefined;
  const birthDate = `${raw.slice(6, 10)}-${raw.slice(10, 12)}-${raw.slice(12, 14)}`;
  if (birthDate > isoDay(today)) return undefined;
  const gender = (raw.charCodeAt(16) - 48) % 2 === 1 ? 'male' : 'female';
  return { valid: true, idNumber: raw, personId: length === 18 ? raw : raw.slice(0, 18), birthDate, gender };
}

/** `YYYY-MM-DD` of `day` in UTC (its ISO date), remembered for the rest of that UTC day. */
let isoDayStart = NaN;
let isoDayText = '';
function isoDay(day: Date): string {
  const time = day.getTime();
  if (!(time >= isoDayStart && time < isoDayStart + 86_400_000)) {
    isoDayText = day.toISOString().slice(0, 10);
    isoDayStart = Math.floor(time / 86_400_000) * 86_400_000;
  }
  return isoDayText;
}

function parseIdNumberFully(raw: unknown, today: Date): IdNumberResult {
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
  if (typeof iso !== 'string' || iso.length !== 10 || iso.charCodeAt(4) !== 45 || iso.charCodeAt(7) !== 45) return false;
  // The digits read by place, as /^\d{4}-\d{2}-\d{2}$/ and Number() of each part would.
  const year = digitsAt(iso, 0, 4);
  const month = digitsAt(iso, 5, 7);
  const day = digitsAt(iso, 8, 10);
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

/** Days in `month` (1–12) of `year`, Gregorian. */
function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

/** The number the ASCII digits from `start` to `end` spell, or -1 if one is no digit. */
function digitsAt(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
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
