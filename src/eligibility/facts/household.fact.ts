/**
 * Plain household fields as facts: a field of the wrong type or left empty is unknown (undefined),
 * so the rules that need it come out undetermined rather than "not eligible" (POLICY.md "Words").
 */
import type { Household, Member } from '../../registry/household.types';
import { isCode, tekunCare } from '../../registry/vocabulary';

export function flag(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

export function amount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The members list, or none when the field is missing or not a list. */
export function membersOf(household: Partial<Household>): Partial<Member>[] {
  return Array.isArray(household.members) ? household.members.filter((m) => m !== null && typeof m === 'object') : [];
}

/** Members listed; undefined for a household with none (nothing "per member" can be said). */
export function memberCount(members: readonly unknown[]): number | undefined {
  return members.length > 0 ? members.length : undefined;
}

export function headCount(members: readonly Partial<Member>[]): number {
  let heads = 0;
  for (const m of members) if (m.relation === 'head') heads++;
  return heads;
}

/**
 * 特困供养方式. Not a 特困 household: null (a known "none"). A 特困 household whose care mode is not
 * recorded: unknown, since 家庭财产保险 depends on it.
 */
export function tekunCareOf(household: Partial<Household>): string | null | undefined {
  if (household.tekun === false) return null;
  if (household.tekun !== true) return undefined;
  return isCode(tekunCare, household.tekunCare) ? household.tekunCare : undefined;
}

/**
 * The household contract has no separate 家庭人口数: the registry counts the members it lists. A
 * record loaded from a ledger may still carry the ledger's own figure as `memberCount`; when it
 * does and it differs from the members listed, that is the data check's finding. Without such a
 * figure there is nothing to compare: false.
 */
export function declaredMemberCountDiffers(household: Record<string, unknown>, listed: number): boolean {
  const declared = household.memberCount;
  return typeof declared === 'number' && Number.isFinite(declared) && declared !== listed;
}
