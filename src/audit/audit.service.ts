import mongoose from 'mongoose';
import type { Actor } from '../users/actor';
import { can } from '../users/permissions';
import { subtreeFilter } from '../regions/region-code';
import { maskIdNumber, maskPhone } from '../registry/id-number';
import { AuditModel, type AuditEntry } from './audit.model';

export interface AuditInput {
  action: string;
  entity: string;
  entityId?: string | null;
  regionCode?: string | null;
  before?: unknown;
  after?: unknown;
  details?: unknown;
}

/** Who an entry is about when no user is logged in yet (a failed login names what was typed). */
export interface AuditSubject {
  userId: string;
  username: string;
  role: string;
}

/** Appends one entry. Callers await it: a write whose trace could not be kept is not acknowledged. */
export async function recordAudit(actor: Actor, entry: AuditInput): Promise<void> {
  await recordAuditAs(actor, entry);
}

/** As recordAudit, for a subject that is not (yet) an authenticated actor. */
export async function recordAuditAs(subject: AuditSubject, entry: AuditInput): Promise<void> {
  await AuditModel.create({
    userId: subject.userId,
    username: subject.username,
    role: subject.role,
    action: entry.action,
    entity: entry.entity,
    entityId: entry.entityId ?? null,
    regionCode: entry.regionCode ?? null,
    before: entry.before ?? null,
    after: entry.after ?? null,
    details: entry.details ?? null,
  });
}

export interface AuditQuery {
  action?: string;
  entity?: string;
  entityId?: string;
  username?: string;
  regionCode?: string;
  from?: Date;
  to?: Date;
  page: number;
  limit: number;
}

export interface AuditView {
  id: string;
  at: Date;
  userId: string;
  username: string;
  role: string;
  action: string;
  entity: string;
  entityId: string | null;
  regionCode: string | null;
  before: unknown;
  after: unknown;
  details: unknown;
}

/**
 * Entries newest first. An admin sees everything; anyone else only entries tied to a region
 * inside their subtrees, so an auditor never sees logins or user changes, which have no region.
 */
export async function listAudit(actor: Actor, query: AuditQuery): Promise<{ items: AuditView[]; total: number; page: number; limit: number }> {
  const and: Record<string, unknown>[] = [];
  if (actor.role !== 'admin') {
    and.push(trusted({ regionCode: { $type: 'string' } }));
    and.push(trusted(subtreeFilter('regionCode', actor.regionCodes)));
  }
  if (query.regionCode) and.push(trusted(subtreeFilter('regionCode', [query.regionCode])));
  for (const field of ['action', 'entity', 'entityId', 'username'] as const) {
    if (query[field] !== undefined) and.push({ [field]: query[field] });
  }
  if (query.from || query.to) {
    and.push(trusted({ at: { ...(query.from ? { $gte: query.from } : {}), ...(query.to ? { $lte: query.to } : {}) } }));
  }
  const filter = and.length > 0 ? { $and: and } : {};
  const [docs, total] = await Promise.all([
    AuditModel.find(filter).sort({ at: -1, _id: -1 }).skip((query.page - 1) * query.limit).limit(query.limit).lean(),
    AuditModel.countDocuments(filter),
  ]);
  const full = can(actor, 'id:view-bulk');
  const items = (docs as Array<AuditEntry & { _id: unknown }>).map(({ _id, ...rest }) => {
    const entry = { id: String(_id), ...rest } as AuditView;
    return full ? entry : { ...entry, before: maskPersonalNumbers(entry.before), after: maskPersonalNumbers(entry.after), details: maskPersonalNumbers(entry.details) };
  });
  return { items, total, page: query.page, limit: query.limit };
}

/**
 * Entries keep old and new values in full (a corrected ID number must stay traceable), so the
 * trail is itself a list of personal numbers: whoever may not see them in bulk gets them masked
 * here too, or reading the trail would bypass the logged reveal.
 */
export function maskPersonalNumbers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskPersonalNumbers);
  if (value === null || typeof value !== 'object') return value;
  // Dates, ObjectIds and the like carry no personal number and must keep their type.
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if ((key === 'idNumber' || key === 'personId') && typeof v === 'string') out[key] = maskIdNumber(v);
    else if (key === 'phone' && typeof v === 'string') out[key] = maskPhone(v);
    else out[key] = maskPersonalNumbers(v);
  }
  return out;
}

/**
 * Marks the operators this module builds itself (never caller input: every value was validated
 * to a plain string or date) so Mongoose's sanitizeFilter lets them through.
 */
function trusted(filter: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, mongoose.trusted(v)]));
}
