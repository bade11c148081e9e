/**
 * The household fields that a determination, its findings and the duplicate-person check read,
 * as stored paths (a member's `id` is stored as `members._id`): what a run asks the database for
 * (`householdCursor`'s `fields`). Names, phones, visits and the rest decide nothing, and a
 * county run's workers spent a quarter of their time decoding whole households.
 *
 * test/eligibility/evaluated-fields.test.ts records every field evaluation reads over every rule
 * test case and a synthetic village and fails when one is missing here: a fact that reads a new
 * field must add it, or county runs would evaluate without it.
 */
export const EVALUATED_FIELDS: readonly string[] = [
  'code', 'regionCode', 'status', 'identifiedAt', 'dibao', 'tekun', 'tekunCare', 'income', 'perCapitaNetIncome',
  'housingSafe', 'waterSafe', 'wantsIndustry', 'badCredit', 'microloanBalance', 'medicalOutOfPocket', 'suddenHardship',
  'monitoring', 'helpers.since', 'helpers.until', 'supports',
  // A ledger's own member count, which a stored household does not carry (household.fact.ts).
  'memberCount',
  'members._id', 'members.idNumber', 'members.birthDate', 'members.relation', 'members.schooling', 'members.health',
  'members.disability', 'members.labor', 'members.homeSchooling', 'members.insurance',
];

/** The stored path of a path of the household JSON (`toHouseholdJson`): only a member's id differs. */
export function storedPathOf(jsonPath: string): string {
  return jsonPath === 'members.id' ? 'members._id' : jsonPath;
}
