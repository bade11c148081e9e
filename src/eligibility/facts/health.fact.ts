/**
 * Member health predicates (POLICY.md "Words": disabled, severely disabled, chronic, seriously ill).
 * Each answers true, false, or undefined when the record cannot tell.
 */
import type { Member } from '../../registry/household.types';

function grade(member: Partial<Member>): number | undefined {
  const value = member.disability?.grade;
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 4 ? value : undefined;
}

/** A grade 1–4 recorded, whatever 健康状况 says, or 健康状况 `disabled` (ledgers often give no grade). */
export function isDisabled(member: Partial<Member>): boolean | undefined {
  if (grade(member) !== undefined || member.health === 'disabled') return true;
  return typeof member.health === 'string' ? false : undefined;
}

/** Grade 1 or 2 recorded. A disabled member with no grade is not known to be severe: false. */
export function isSeverelyDisabled(member: Partial<Member>): boolean {
  const g = grade(member);
  return g === 1 || g === 2;
}

export function isChronic(member: Partial<Member>): boolean | undefined {
  return typeof member.health === 'string' ? member.health === 'chronic' : undefined;
}

export function isSeriouslyIll(member: Partial<Member>): boolean | undefined {
  return typeof member.health === 'string' ? member.health === 'serious' : undefined;
}

/** For 健康扶贫: chronic, seriously ill or disabled. */
export function isChronicSeriousOrDisabled(member: Partial<Member>): boolean | undefined {
  if (isDisabled(member) === true) return true;
  return typeof member.health === 'string' ? member.health === 'chronic' || member.health === 'serious' : undefined;
}
