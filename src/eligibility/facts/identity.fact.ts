/**
 * Identity-number data checks (POLICY.md "Data checks"): numbers failing GB 11643, and the same
 * person listed twice, inside the household or, during a run, in an earlier household.
 */
import type { Member } from '../../registry/household.types';
import { parseIdNumber } from '../../registry/id-number';

/**
 * Members whose ID number fails GB 11643, from `personIdsOf` (undefined where invalid). The registry refuses such numbers today; these are
 * records loaded before validation existed.
 */
export function invalidIdNumberCount(personIds: readonly (string | undefined)[]): number {
  let invalid = 0;
  for (const id of personIds) if (id === undefined) invalid++;
  return invalid;
}

/**
 * The person key of each member (first 18 characters of a valid number), undefined if invalid.
 * One `today` for the household: parseIdNumber otherwise builds a Date per member to refuse birth
 * dates in the future, a sixth of its cost in a county run.
 */
export function personIdsOf(members: readonly Partial<Member>[], today: Date = new Date()): (string | undefined)[] {
  return members.map((m) => {
    const parsed = parseIdNumber(m.idNumber, today);
    return parsed.valid ? parsed.personId : undefined;
  });
}

/**
 * Members whose person already appeared: earlier in this household, or in `seenElsewhere` (the
 * person ids of households evaluated before this one in a run).
 */
export function duplicatePersonIds(personIds: readonly (string | undefined)[], seenElsewhere?: ReadonlySet<string>): string[] {
  const here = new Set<string>();
  const duplicates: string[] = [];
  for (const id of personIds) {
    if (id === undefined) continue;
    if (here.has(id) || seenElsewhere?.has(id)) duplicates.push(id);
    here.add(id);
  }
  return duplicates;
}
