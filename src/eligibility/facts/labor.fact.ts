/**
 * Labour predicates (POLICY.md "Words": able to work; "microloan": a borrower of age).
 */
import type { Member } from '../../registry/household.types';
import { labor } from '../../registry/vocabulary';
import type { AgeRange } from './schooling.fact';

// The codes as a Set, read once from the vocabulary: this runs for every member (or household)
// of a run, where `isCode` searched the list through two module bindings per call.
const LABOR: ReadonlySet<unknown> = new Set(labor.codes);

/**
 * 劳动技能 `ordinary` or `skilled` and aged within `range` inclusive. A member without such a skill
 * is not able to work at any age; with it, an unknown age leaves the answer unknown.
 */
export function isWorkingAgeWithSkill(member: Partial<Member>, age: number | undefined, range: AgeRange): boolean | undefined {
  if (typeof member.labor !== 'string' || !LABOR.has(member.labor)) return undefined;
  if (member.labor !== 'ordinary' && member.labor !== 'skilled') return false;
  if (age === undefined) return undefined;
  return age >= range.min && age <= range.max;
}

/** 有劳动能力: skill and `laborAge`. */
export function isAbleToWork(member: Partial<Member>, age: number | undefined, laborAge: AgeRange): boolean | undefined {
  return isWorkingAgeWithSkill(member, age, laborAge);
}

/** A member who may borrow an 扶贫小额信贷: skill and `microloan.age`. */
export function isMicroloanEligibleMember(member: Partial<Member>, age: number | undefined, microloanAge: AgeRange): boolean | undefined {
  return isWorkingAgeWithSkill(member, age, microloanAge);
}
