/**
 * Who may write what in the registry (DESIGN.md "Roles", SECURITY.md "Access" and "Mass
 * assignment"). The service asks these functions; it never passes a body to `$set`.
 *
 * - `admin` writes everywhere; `county` writes households of its county subtree(s); `village`
 *   writes households of its villages; `auditor` writes nothing.
 * - Nobody writes `version`, `createdBy`, `updatedBy`, `createdAt`, `updatedAt`: the service does.
 * - `regionCode` is written only by county and admin, and only to a village inside their scope.
 */
import { isRegionCode, isWithinAny, regionLevel } from '../regions/region-code';
import type { Actor } from '../users/actor';
import { can } from '../users/permissions';
import { AppError } from '../http/errors';

/** Household fields a PATCH may set, for roles that write at all. */
export const WRITABLE_HOUSEHOLD_FIELDS = [
  'group', 'status', 'exitYear', 'identifiedAt', 'standard', 'dibao', 'tekun', 'tekunCare', 'causes', 'income',
  'perCapitaNetIncome', 'housingSafe', 'waterSafe', 'wantsIndustry', 'badCredit', 'microloanBalance',
  'medicalOutOfPocket', 'suddenHardship', 'monitoring', 'helpers', 'supports', 'visits', 'phone',
] as const;

/** Member fields a member PATCH may set (its `id` and the derived `personId` are the service's). */
export const WRITABLE_MEMBER_FIELDS = [
  'name', 'gender', 'idNumber', 'birthDate', 'relation', 'ethnicity', 'education', 'schooling', 'health',
  'disability', 'labor', 'employment', 'monthsWorked', 'homeSchooling', 'insurance', 'phone',
] as const;

// Roles map to permissions in the one table of src/users/permissions.ts: admin, county and
// village hold household:write; admin and county hold household:relocate; auditor neither.
export function mayWriteHouseholds(actor: Actor): boolean {
  return can(actor, 'household:write');
}

/** Throws unless `actor` may write a household of village `regionCode` (FORBIDDEN / REGION_OUT_OF_SCOPE). */
export function assertMayWriteIn(actor: Actor, regionCode: string): void {
  if (!mayWriteHouseholds(actor)) throw new AppError('FORBIDDEN', 'Your role cannot write households');
  if (!isWithinAny(regionCode, actor.regionCodes)) throw new AppError('REGION_OUT_OF_SCOPE');
}

/** A new household (or a move) must name a village inside the actor's scope. */
export function assertValidTargetVillage(actor: Actor, regionCode: string): void {
  if (!isRegionCode(regionCode) || regionLevel(regionCode) !== 'village') {
    throw new AppError('VALIDATION_FAILED', 'regionCode must be a village code', [{ path: 'regionCode', code: 'region.level', message: 'regionCode must be a 12-digit village code' }]);
  }
  assertMayWriteIn(actor, regionCode);
}

/**
 * Builds the `$set` of a household PATCH from the allow-list. `regionCode` is only accepted from
 * county/admin, and only into their scope; for a village cadre it is refused with 400
 * FIELD_NOT_WRITABLE (clearer than silently ignoring it).
 */
export function householdUpdateFrom(actor: Actor, patch: Record<string, unknown>): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (const field of WRITABLE_HOUSEHOLD_FIELDS) {
    if (Object.hasOwn(patch, field)) set[field] = patch[field];
  }
  if (Object.hasOwn(patch, 'regionCode')) {
    if (!can(actor, 'household:relocate')) {
      throw new AppError('FIELD_NOT_WRITABLE', 'Your role cannot change regionCode', [{ path: 'regionCode', code: 'not-writable', message: 'regionCode is not writable by your role' }]);
    }
    assertValidTargetVillage(actor, String(patch.regionCode));
    set.regionCode = patch.regionCode;
  }
  return set;
}

/** Picks the writable member fields of a member PATCH. */
export function memberUpdateFrom(patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of WRITABLE_MEMBER_FIELDS) {
    if (Object.hasOwn(patch, field)) out[field] = patch[field];
  }
  return out;
}

export type IdContext = 'list' | 'single';

/**
 * May `actor` see full ID and phone numbers here? (PIPL art. 28: ID numbers are sensitive.)
 *
 * The rule: lists (and search results) are masked for everyone except `admin`; a single-household
 * read shows full numbers to `admin`, `county` and `village` (they keep the record and check it
 * against the card); `auditor` never sees them unmasked and goes through the logged reveal call.
 * Every read is already scoped to the actor's region, so "their own region" holds here. The
 * roles come from the permission table (`id:view-bulk`, `id:view-single`).
 */
export function maySeeFullIds(actor: Actor, context: IdContext): boolean {
  return can(actor, context === 'list' ? 'id:view-bulk' : 'id:view-single');
}

/** The logged reveal of one full number (reason required). */
export function assertMayReveal(actor: Actor): void {
  if (!can(actor, 'id:reveal')) throw new AppError('FORBIDDEN');
}
