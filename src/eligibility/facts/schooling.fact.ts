/**
 * Schooling predicates (POLICY.md "Words": student, dropout; "Sub-benefits": 雨露计划).
 */
import type { Member } from '../../registry/household.types';
import { schooling, studentSchooling, type Schooling } from '../../registry/vocabulary';

export interface AgeRange { min: number; max: number }

// The codes as a Set, read once from the vocabulary: this runs for every member (or household)
// of a run, where `isCode` searched the list through two module bindings per call.
const SCHOOLING: ReadonlySet<unknown> = new Set(schooling.codes);
const STUDENT_SCHOOLING: ReadonlySet<unknown> = new Set(studentSchooling);

function schoolingOf(member: Partial<Member>): Schooling | undefined {
  const s = member.schooling;
  return typeof s === 'string' && SCHOOLING.has(s) ? s : undefined;
}

export function isStudent(member: Partial<Member>): boolean | undefined {
  const s = schoolingOf(member);
  return s === undefined ? undefined : STUDENT_SCHOOLING.has(s);
}

/** 雨露计划 covers 中职 and 高职 students. */
export function isVocationalStudent(member: Partial<Member>): boolean | undefined {
  const s = schoolingOf(member);
  return s === undefined ? undefined : s === 'secondary-vocational' || s === 'higher-vocational';
}

/**
 * 辍学: aged within compulsory school age, 非在校生, and not taught at home (送教上门). A member in
 * school, or taught at home, is no dropout whatever the age; otherwise an unknown age leaves it
 * unknown.
 */
export function isDropout(member: Partial<Member>, age: number | undefined, range: AgeRange): boolean | undefined {
  const s = schoolingOf(member);
  if (s !== undefined && s !== 'none') return false;
  if (member.homeSchooling === true) return false;
  if (s === undefined || age === undefined) return undefined;
  if (age < range.min || age > range.max) return false;
  return member.homeSchooling === false ? true : undefined;
}
