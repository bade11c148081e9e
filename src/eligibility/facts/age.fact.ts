/**
 * Ages on the as-of date (POLICY.md "Words": ages are full years between the birth date and D).
 * The birth date comes from the record, or from the ID number when the record has none
 * (DESIGN.md: "`birthDate` comes from the ID number when absent").
 */
import { isRealDate, parseIdNumber } from '../../registry/id-number';

/** The member's birth date, or undefined when neither the record nor a valid ID number gives one. */
export function birthDateOf(member: { birthDate?: unknown; idNumber?: unknown }): string | undefined {
  if (typeof member.birthDate === 'string' && isRealDate(member.birthDate)) return member.birthDate;
  const parsed = parseIdNumber(member.idNumber);
  return parsed.valid ? parsed.birthDate : undefined;
}

/**
 * Full years (周岁) from `birthDate` to `asOf`, both `YYYY-MM-DD`. A birthday on 29 February is
 * reached on 1 March in common years: the date string "02-28" sorts before "02-29".
 */
export function fullYears(birthDate: string, asOf: string): number {
  const years = Number(asOf.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return asOf.slice(5) < birthDate.slice(5) ? years - 1 : years;
}

/** Age on `asOf`; undefined when the birth date is unknown or after `asOf`. */
export function ageOn(member: { birthDate?: unknown; idNumber?: unknown }, asOf: string): number | undefined {
  const birthDate = birthDateOf(member);
  if (birthDate === undefined || birthDate > asOf) return undefined;
  return fullYears(birthDate, asOf);
}
