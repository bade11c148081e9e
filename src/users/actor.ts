/**
 * Who is calling: the authenticated user as every service sees it. Services take an Actor, never
 * a request, so the CLI and the HTTP routes share one notion of "who may see what".
 */
export const roles = ['admin', 'county', 'village', 'auditor'] as const;
export type Role = (typeof roles)[number];

export interface Actor {
  userId: string;
  username: string;
  role: Role;
  /** 12-digit division codes; the actor sees the subtree under each (DESIGN.md "Roles"). */
  regionCodes: string[];
}

/** The command line acts for the county's IT staff on the whole database. */
export const systemActor: Actor = { userId: 'system', username: 'system', role: 'admin', regionCodes: ['000000000000'] };
