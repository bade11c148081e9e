/**
 * Valid 身份证 numbers for tests (GB 11643-1999): region 421122 (a county of 湖北), the birth date,
 * a 3-digit sequence and the computed check character.
 */
import { checkDigit } from '../../src/registry/id-number';

/** `birthDate` is YYYY-MM-DD; `seq` 0–999 (odd for men, even for women). */
export function makeIdNumber(birthDate: string, seq: number, region = '421122'): string {
  const first17 = `${region}${birthDate.replace(/-/g, '')}${String(seq % 1000).padStart(3, '0')}`;
  if (!/^\d{17}$/.test(first17)) throw new Error(`makeIdNumber: bad input ${birthDate} ${seq}`);
  return first17 + checkDigit(first17);
}

/** The same number with a wrong check character. */
export function withWrongCheckDigit(idNumber: string): string {
  const right = idNumber[17];
  const wrong = right === '0' ? '1' : '0';
  return idNumber.slice(0, 17) + wrong;
}

let counter = 0;

/**
 * A fresh valid number each call, distinct within the process: the counter walks sequences and
 * then birth dates.
 */
export function nextIdNumber(options: { birthDate?: string; gender?: 'male' | 'female' } = {}): string {
  const n = counter++;
  const base = options.birthDate ?? dayAfter('1950-01-01', Math.floor(n / 500));
  const seq = ((n % 500) * 2 + (options.gender === 'female' ? 0 : 1)) % 1000;
  return makeIdNumber(base, seq);
}

function dayAfter(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + (days % 20000));
  return d.toISOString().slice(0, 10);
}
