/**
 * "At least one member …" facts are counts of a member predicate. Rules only ask whether such a
 * count is above zero or zero, so a count is known as soon as one member is known to count (the
 * undecided ones can only add to it); with none known to count and some undecided, it is unknown.
 * It never holds for a household with no members (POLICY.md: an empty household is undetermined).
 */
export function countMembers(flags: readonly (boolean | undefined)[]): number | undefined {
  if (flags.length === 0) return undefined;
  let count = 0;
  let undecided = false;
  for (const flag of flags) {
    if (flag === undefined) undecided = true;
    else if (flag) count++;
  }
  return undecided && count === 0 ? undefined : count;
}

/** The members (by index) for which the predicate holds; undecided ones are not counted. */
export function membersWhere(flags: readonly (boolean | undefined)[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < flags.length; i++) if (flags[i] === true) out.push(i);
  return out;
}
