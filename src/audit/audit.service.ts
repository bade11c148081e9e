import type { Actor } from '../users/actor';
import { AuditModel } from './audit.model';

export interface AuditInput {
  action: string;
  entity: string;
  entityId?: string | null;
  regionCode?: string | null;
  before?: unknown;
  after?: unknown;
  details?: unknown;
}

/** Appends one entry. Callers await it: a write whose trace could not be kept is not acknowledged. */
export async function recordAudit(actor: Actor, entry: AuditInput): Promise<void> {
  await AuditModel.create({
    userId: actor.userId,
    username: actor.username,
    role: actor.role,
    action: entry.action,
    entity: entry.entity,
    entityId: entry.entityId ?? null,
    regionCode: entry.regionCode ?? null,
    before: entry.before ?? null,
    after: entry.after ?? null,
    details: entry.details ?? null,
  });
}
