/**
 * The one role → permission table (DESIGN.md "Roles", SECURITY.md "Access", issue 4). Routes and
 * services ask `can(actor, permission)`; nothing else in the code base compares role names.
 * Region scoping is separate and applies on top: a permission never reaches outside the actor's
 * region subtrees (see `src/regions/region-code.ts`).
 */
import type { Actor, Role } from './actor';

export const permissions = [
  /** Read households and members in one's region (lists show masked ID numbers and phones). */
  'household:read',
  /** Create, update and delete households and members in one's region. */
  'household:write',
  /** Move a household to another village (its `regionCode`), both inside one's region. */
  'household:relocate',
  /** See full ID numbers and phones when reading one household (to check them against the card). */
  'id:view-single',
  /** See full ID numbers and phones in lists, search results and exports. */
  'id:view-bulk',
  /** Reveal one full ID number or phone through the explicit, logged call (with a reason). */
  'id:reveal',
  /** Import ledgers (台账) into one's region. */
  'import',
  /** Export household ledgers of one's region. */
  'export',
  /** Evaluate one household against the rules (nothing stored). */
  'eligibility:evaluate',
  /** Start eligibility runs over a region and read their results. */
  'eligibility:run',
  /** Export the findings of a run (整改 lists). */
  'findings:export',
  /** Read the administrative divisions. */
  'regions:read',
  /** Add or rename administrative divisions. */
  'regions:write',
  /** Manage rule-set and parameter files. */
  'rules:manage',
  /** Create, list and change users. */
  'users:manage',
  /** Read the audit trail (auditors: entries of their region only). */
  'audit:read',
] as const;
export type Permission = (typeof permissions)[number];

/**
 * Why each row is what it is:
 * - admin manages users and rules and may read everything. It also holds every other permission
 *   because the command line acts as an admin for the county's IT staff (`systemActor`), and an
 *   admin could grant itself a county account anyway: withholding them would protect nothing.
 * - county reads and writes its county, moves households between its villages, imports and
 *   exports. It sees full numbers on the one household it opens, not in bulk: lists and exports
 *   are masked (PIPL art. 28, minimum necessary); one number at a time goes through the logged
 *   reveal call.
 * - village keeps its own villages' households up to date, sees full numbers on the household
 *   it opens, and is masked in lists.
 * - auditor reads its region, evaluates, runs checks and exports findings, and writes no
 *   household (SECURITY.md "Access"); every full number it needs is a logged reveal.
 */
const table: Record<Role, readonly Permission[]> = {
  admin: permissions,
  county: [
    'household:read', 'household:write', 'household:relocate', 'id:view-single', 'id:reveal', 'import', 'export',
    'eligibility:evaluate', 'eligibility:run', 'findings:export', 'regions:read', 'regions:write',
  ],
  village: ['household:read', 'household:write', 'id:view-single', 'id:reveal', 'eligibility:evaluate', 'regions:read'],
  auditor: [
    'household:read', 'id:reveal', 'eligibility:evaluate', 'eligibility:run', 'findings:export',
    'regions:read', 'audit:read',
  ],
};

export function can(actor: Pick<Actor, 'role'>, permission: Permission): boolean {
  return table[actor.role]?.includes(permission) ?? false;
}

/** The permissions a role holds, for `GET /me` (a client greys out what it may not do). */
export function permissionsOf(role: Role): Permission[] {
  return [...(table[role] ?? [])];
}
