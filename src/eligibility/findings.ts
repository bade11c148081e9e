/**
 * Findings for auditors (POLICY.md "Data checks"): every failing data check of the rule set, and
 * per category the households enrolled but not eligible on the date, or eligible but not
 * enrolled. Each finding names the household, the rule and the reason, so a 整改 list can be
 * handed to the village as it is.
 */
import type { Household } from '../registry/household.types';
import type { Determination } from './evaluate';
import { isCode, supportCategory } from '../registry/vocabulary';
import type { HouseholdFacts } from './facts';
import { inForceOn } from './facts/measures.fact';

export interface Finding {
  /** The data check's rule id, or enrolled-not-eligible / eligible-not-enrolled. */
  type: string;
  /** The rule that found it. */
  rule: string;
  category?: string;
  householdCode: string;
  regionCode: string;
  reason: string;
  /** The ID numbers concerned (invalid or duplicated), for the 整改 list; masked on export by role. */
  idNumbers?: string[];
}

export const enrolmentFindingTypes = {
  'enrolled-not-eligible': '已享受但不符合条件',
  'eligible-not-enrolled': '符合条件但未享受',
} as const;

export type EnrolmentFindingType = keyof typeof enrolmentFindingTypes;

export function isEnrolmentFindingType(type: string): type is EnrolmentFindingType {
  return Object.hasOwn(enrolmentFindingTypes, type);
}

/**
 * An enrolment finding's reason: fixed words around the category's name and the date, so a
 * stored result keeps only the finding's type and category and reads the reason back from the
 * run's names (determination.codec.ts `storedFindings`).
 */
export function enrolmentReason(type: EnrolmentFindingType, categoryName: string, asOf: string): string {
  return type === 'enrolled-not-eligible' ? `登记享受${categoryName}，但 ${asOf} 不符合条件` : `${asOf} 符合${categoryName}条件，但没有登记该项帮扶措施`;
}

/** Categories the household is enrolled in (supports in force on the date). */
export function enrolledCategories(household: Partial<Household>, asOf: string): Set<string> {
  const out = new Set<string>();
  if (!Array.isArray(household.supports)) return out;
  for (const s of household.supports) {
    if (s && typeof s === 'object' && typeof s.category === 'string' && inForceOn(s, asOf)) out.add(s.category);
  }
  return out;
}

/**
 * The findings of one household. A run adds the same-person-in-two-households check through the
 * facts (the person ids seen earlier in the run), so it arrives here as a failing data check.
 */
export function householdFindings(household: Partial<Household>, determination: Determination, facts?: HouseholdFacts): Finding[] {
  const householdCode = typeof household.code === 'string' ? household.code : '';
  const regionCode = typeof household.regionCode === 'string' ? household.regionCode : '';
  const findings: Finding[] = [];
  for (const check of determination.dataChecks) {
    if (check.status !== 'fail') continue;
    const finding: Finding = { type: check.id, rule: check.id, householdCode, regionCode, reason: check.reason ?? check.name };
    const ids = facts ? idNumbersConcerned(check.id, household, facts) : [];
    if (ids.length > 0) finding.idNumbers = ids;
    findings.push(finding);
  }
  const enrolled = enrolledCategories(household, determination.asOf);
  for (const category of determination.categories) {
    // Enrolment can only be recorded for POLICY.md's eight (supports[].category); a county's own
    // category has no enrolment to compare with.
    if (!isCode(supportCategory, category.id)) continue;
    if (category.status === 'not-eligible' && enrolled.has(category.id)) {
      findings.push({
        type: 'enrolled-not-eligible', rule: category.id, category: category.id, householdCode, regionCode,
        reason: enrolmentReason('enrolled-not-eligible', category.name, determination.asOf),
      });
    } else if (category.status === 'eligible' && !enrolled.has(category.id)) {
      findings.push({
        type: 'eligible-not-enrolled', rule: category.id, category: category.id, householdCode, regionCode,
        reason: enrolmentReason('eligible-not-enrolled', category.name, determination.asOf),
      });
    }
  }
  return findings;
}

function idNumbersConcerned(checkId: string, household: Partial<Household>, facts: HouseholdFacts): string[] {
  const members = Array.isArray(household.members) ? household.members : [];
  if (checkId === 'invalid-id-number') {
    return facts.personIds.flatMap((id, i) => (id === undefined ? [String(members[i]?.idNumber ?? '')] : []));
  }
  if (checkId === 'duplicate-person') return [...new Set(facts.duplicatePersonIds)];
  return [];
}
