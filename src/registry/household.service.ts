/**
 * The registry's logic: households and their members, scoped to the actor's region subtrees,
 * written atomically with optimistic concurrency, every write traced in the audit log.
 * Plain objects in and out (`lean()`); nothing here knows HTTP (STYLE.md 11).
 *
 * Scoping: every read, list and count filters by `subtreeFilter('regionCode', actor.regionCodes)`;
 * a household outside it does not exist for the actor (404). Filters carry caller values only as
 * Joi-validated strings, queries run with `sanitizeFilter`, and our own operators are marked
 * trusted (SECURITY.md "Queries and bodies").
 */
import mongoose from 'mongoose';
import type Joi from 'joi';
import { recordAudit } from '../audit/audit.service';
import { AuditModel } from '../audit/audit.model';
import { AppError } from '../http/errors';
import { scanForHostileKeys } from '../http/validate';
import { isWithin, isWithinAny, regionLevel, subtreeFilter } from '../regions/region-code';
import type { Actor } from '../users/actor';
import { maskIdNumber, maskPhone } from './id-number';
import { HouseholdModel as TypedHouseholdModel, personIdOf, toHouseholdJson, type StoredHouseholdDoc, type StoredMemberDoc } from './household.model';
import {
  assertMayReveal, assertMayWriteIn, assertValidTargetVillage, householdUpdateFrom, maySeeFullIds, memberUpdateFrom, type IdContext,
} from './household.permissions';
import { householdCreateSchema, memberCreateSchema, withFieldDefaults } from './household.schema';
import type { Household, Member, StoredHousehold } from './household.types';

export { toHouseholdJson };

export interface FieldError {
  path: string;
  code: string;
  message: string;
}

type Filter = Record<string, unknown>;

// Filters are built here from validated values; the model's generic filter types add nothing.
const HouseholdModel = TypedHouseholdModel as unknown as mongoose.Model<any>;

const joiOptions: Joi.ValidationOptions = { abortEarly: false, convert: true, errors: { wrap: { label: false } } };

function joiErrors(error: Joi.ValidationError | undefined): FieldError[] {
  return (error?.details ?? []).map((d) => {
    const path = d.path.join('.');
    const label = String(d.context?.label ?? '');
    return { path, code: d.type, message: label && d.message.startsWith(label) ? `${path}${d.message.slice(label.length)}` : d.message };
  });
}

/** The API's rules for a whole household, for the importer and the CLI (STYLE.md 20). */
export function validateHousehold(input: unknown): { value?: Household; errors: FieldError[] } {
  const errors: FieldError[] = [];
  scanForHostileKeys(input, '', errors);
  if (errors.length > 0) return { errors };
  const { value, error } = householdCreateSchema.validate(input, joiOptions);
  if (error) return { errors: joiErrors(error) };
  return { value: value as Household, errors: [] };
}

// ------------------------------------------------------------------ filters

/** Marks each operator object of a filter we built as trusted for sanitizeFilter. */
function trustOperators(filter: Filter): Filter {
  const out: Filter = {};
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' || key === '$or') out[key] = (value as Filter[]).map(trustOperators);
    else if (value !== null && typeof value === 'object' && !(value instanceof RegExp) && Object.keys(value).some((k) => k.startsWith('$'))) out[key] = mongoose.trusted(value);
    else out[key] = value;
  }
  return out;
}

/**
 * The `regionCode` condition for the actor's subtrees, narrowed to `requested` when given:
 * undefined when unrestricted. A village is matched by equality (served by the regionCode
 * index); a larger division by `subtreeFilter`'s anchored prefix. A requested division outside
 * the actor's subtrees keeps only the parts of them inside it (often none: nothing matches).
 */
function regionCondition(actor: Actor, requested?: string): unknown {
  const unrestricted = Object.keys(subtreeFilter('regionCode', actor.regionCodes)).length === 0;
  let regions: string[];
  if (!requested) regions = unrestricted ? [] : [...actor.regionCodes];
  else if (unrestricted || isWithinAny(requested, actor.regionCodes)) regions = [requested];
  else regions = actor.regionCodes.filter((r) => isWithin(r, requested));
  if (!requested && unrestricted) return undefined;
  if (regions.length === 0) return { $in: [] };
  const values = regions.map((r) => (regionLevel(r) === 'village' ? r : (subtreeFilter('regionCode', [r]).regionCode as { $in: RegExp[] } | undefined)?.$in[0]));
  if (values.some((v) => v === undefined)) return undefined; // the whole country
  return values.length === 1 && typeof values[0] === 'string' ? values[0] : { $in: values };
}

/** `filter` (plain fields, no regionCode) restricted to the actor's subtrees (and `requested`). */
function scoped(actor: Actor, filter: Filter = {}, requested?: string): Filter {
  const region = regionCondition(actor, requested);
  return trustOperators(region === undefined ? { ...filter } : { ...filter, regionCode: region });
}

const safe = { sanitizeFilter: true } as const;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ------------------------------------------------------------------ presentation

function maskMember(m: Member): Member {
  return { ...m, idNumber: m.idNumber ? maskIdNumber(m.idNumber) : m.idNumber, phone: m.phone ? maskPhone(m.phone) : m.phone ?? null };
}

/** The household as `actor` may see it in `context` (maySeeFullIds). */
export function presentHousehold<H extends Household>(actor: Actor, household: H, context: IdContext): H {
  if (maySeeFullIds(actor, context)) return household;
  return {
    ...household,
    phone: household.phone ? maskPhone(household.phone) : household.phone ?? null,
    helpers: household.helpers.map((h) => ({ ...h, phone: h.phone ? maskPhone(h.phone) : h.phone ?? null })),
    members: household.members.map(maskMember),
  };
}

// ------------------------------------------------------------------ reads

async function findScoped(actor: Actor, code: string): Promise<StoredHouseholdDoc> {
  const doc = await HouseholdModel.findOne(scoped(actor, { code })).setOptions(safe).lean();
  if (!doc) throw new AppError('HOUSEHOLD_NOT_FOUND');
  return doc as unknown as StoredHouseholdDoc;
}

/** The full household (unmasked) for services that evaluate or export it. */
export async function getHousehold(actor: Actor, code: string): Promise<StoredHousehold> {
  return toHouseholdJson(await findScoped(actor, code));
}

/** A single-household read as the API answers it (masked by role). */
export async function readHousehold(actor: Actor, code: string): Promise<StoredHousehold> {
  return presentHousehold(actor, await getHousehold(actor, code), 'single');
}

export interface HouseholdListQuery {
  regionCode?: string;
  status?: string;
  monitoring?: string;
  dibao?: boolean;
  tekun?: boolean;
  q?: string;
  page: number;
  limit: number;
}

const FULL_ID = /^\d{17}[\dXx](\d{2}|\d{4})?$/;

function listFilter(query: Omit<HouseholdListQuery, 'page' | 'limit' | 'regionCode'>): Filter {
  const filter: Filter = {};
  if (query.status) filter.status = query.status;
  if (query.monitoring) filter['monitoring.type'] = query.monitoring;
  if (query.dibao !== undefined) filter.dibao = query.dibao;
  if (query.tekun !== undefined) filter.tekun = query.tekun;
  if (query.q) {
    // A full ID number finds its person whichever card was recorded; anything else is a name.
    if (FULL_ID.test(query.q)) filter['members.personId'] = query.q.slice(0, 18).toUpperCase();
    else filter['members.name'] = { $regex: escapeRegex(query.q) };
  }
  return filter;
}

export async function listHouseholds(actor: Actor, query: HouseholdListQuery): Promise<{ items: StoredHousehold[]; total: number; page: number; limit: number }> {
  const filter = scoped(actor, listFilter(query), query.regionCode);
  const [docs, total] = await Promise.all([
    HouseholdModel.find(filter).setOptions(safe).sort({ code: 1 }).skip((query.page - 1) * query.limit).limit(query.limit).lean(),
    HouseholdModel.countDocuments(filter).setOptions(safe),
  ]);
  const items = (docs as unknown as StoredHouseholdDoc[]).map((d) => presentHousehold(actor, toHouseholdJson(d), 'list'));
  return { items, total, page: query.page, limit: query.limit };
}

/**
 * Plain households of the actor's scope, sorted by code, streamed (runs and exports). `fields`:
 * read only these stored paths (a run reads EVALUATED_FIELDS); the others come back as the
 * empty values `toHouseholdJson` gives a field that is not there.
 */
export async function* householdCursor(
  actor: Actor, filter: { regionCode?: string; status?: string[] } = {}, options: { fields?: readonly string[] } = {},
): AsyncGenerator<StoredHousehold> {
  const parts: Filter = {};
  if (filter.status && filter.status.length > 0) parts.status = { $in: [...filter.status] };
  const projection = options.fields ? Object.fromEntries(options.fields.map((f) => [f, 1])) : undefined;
  const cursor = HouseholdModel.find(scoped(actor, parts, filter.regionCode), projection).setOptions(safe).sort({ code: 1 }).lean().cursor();
  try {
    for await (const doc of cursor) yield toHouseholdJson(doc as unknown as StoredHouseholdDoc);
  } finally {
    await cursor.close();
  }
}

/** How many of the actor's households are under `regionCode` (a run's total, before it starts). */
export async function countHouseholds(actor: Actor, filter: { regionCode?: string } = {}): Promise<number> {
  return HouseholdModel.countDocuments(scoped(actor, {}, filter.regionCode)).setOptions(safe);
}

/**
 * The villages that hold the actor's households under `regionCode`, sorted. A household always
 * sits on a village (household.permissions.ts), so a region's households are the union of its
 * villages' `householdCursor`s, each served by the regionCode index: how a run shares a county
 * between worker threads without this thread reading every household.
 */
export async function householdVillages(actor: Actor, filter: { regionCode?: string } = {}): Promise<string[]> {
  const codes = await HouseholdModel.distinct('regionCode', scoped(actor, {}, filter.regionCode)).setOptions(safe);
  return (codes as unknown[]).filter((c): c is string => typeof c === 'string').sort();
}

// ------------------------------------------------------------------ writes: helpers

type MemberInput = Omit<Member, 'id'> & { id?: string };

function storedMember(m: MemberInput, id?: string): StoredMemberDoc {
  const { id: _ignored, ...fields } = m;
  const _id = new mongoose.Types.ObjectId(id ?? m.id ?? undefined);
  return { ...fields, _id, personId: personIdOf(m.idNumber, _id) } as StoredMemberDoc;
}

function personIds(members: { idNumber?: string | null }[]): string[] {
  return members.map((m) => (typeof m.idNumber === 'string' ? m.idNumber.slice(0, 18).toUpperCase() : null)).filter((p): p is string => p !== null);
}

/**
 * 409 when one of these persons is registered in another household. Looked up across the whole
 * registry (not the actor's scope): the other household is never named.
 */
async function assertPersonsFree(personIdList: string[], ownCode: string | null): Promise<void> {
  if (personIdList.length === 0) return;
  const filter: Filter = { 'members.personId': mongoose.trusted({ $in: personIdList }) };
  if (ownCode !== null) filter.code = mongoose.trusted({ $ne: ownCode });
  const clash = await HouseholdModel.exists(filter).setOptions(safe);
  if (clash) throw new AppError('PERSON_IN_OTHER_HOUSEHOLD');
}

/** Maps unique-index violations to the registry's errors, naming neither key value nor household. */
function mapDuplicateKey(err: unknown): never {
  const e = err as { code?: number; keyPattern?: Record<string, unknown>; message?: string; writeErrors?: unknown };
  if (e && e.code === 11000) {
    const pattern = Object.keys(e.keyPattern ?? {}).join(',') || String(e.message ?? '');
    if (pattern.includes('personId')) throw new AppError('PERSON_IN_OTHER_HOUSEHOLD');
    if (pattern.includes('code')) throw new AppError('HOUSEHOLD_EXISTS');
  }
  throw err;
}

function headCount(members: { relation?: string }[]): number {
  return members.filter((m) => m.relation === 'head').length;
}

function assertOneHead(members: { relation?: string }[]): void {
  const heads = headCount(members);
  if (heads !== 1) throw new AppError('HEAD_REQUIRED', undefined, [{ path: 'members', code: 'members.head', message: `A household must have exactly one head (户主); it would have ${heads}` }]);
}

/** The contract's fields of a validated household, ready to store. */
function storedFields(h: Household, keepIds: Map<string, string> = new Map()): Filter {
  const { members, ...rest } = h;
  return {
    ...rest,
    members: members.map((m) => {
      const pid = typeof m.idNumber === 'string' ? m.idNumber.slice(0, 18) : '';
      return storedMember(m, keepIds.get(pid));
    }),
  };
}

/** The comparable content of a household: contract fields without bookkeeping or member ids. */
function contentOf(h: Household | StoredHousehold): string {
  const json = toHouseholdJson({ ...(h as StoredHousehold), version: 0, createdAt: '', updatedAt: '', members: h.members.map((m) => ({ ...m, _id: '' })) } as unknown as StoredHouseholdDoc);
  const { version: _v, createdAt: _c, updatedAt: _u, createdBy: _cb, updatedBy: _ub, ...content } = json;
  return JSON.stringify({ ...content, members: content.members.map(({ id: _id, ...m }) => m) });
}

const updateOptions = { returnDocument: 'after', runValidators: true, lean: true, ...safe } as const;

// ------------------------------------------------------------------ writes

export async function createHousehold(actor: Actor, input: Household): Promise<StoredHousehold> {
  assertValidTargetVillage(actor, input.regionCode);
  assertOneHead(input.members);
  await assertPersonsFree(personIds(input.members), null);
  let created;
  try {
    created = await HouseholdModel.create({ ...storedFields(input), version: 1, createdBy: actor.username, updatedBy: actor.username });
  } catch (err) {
    mapDuplicateKey(err);
  }
  const after = toHouseholdJson(created.toObject() as unknown as StoredHouseholdDoc);
  await recordAudit(actor, { action: 'household.create', entity: 'household', entityId: after.code, regionCode: after.regionCode, before: null, after });
  return after;
}

/** PATCH: only allow-listed fields, only if `version` is still the stored one. */
export async function updateHousehold(actor: Actor, code: string, patch: Record<string, unknown> & { version: number }): Promise<StoredHousehold> {
  const existing = await findScoped(actor, code);
  assertMayWriteIn(actor, existing.regionCode);
  const set = householdUpdateFrom(actor, withFieldDefaults(patch));
  if (existing.version !== patch.version) throw new AppError('VERSION_CONFLICT');
  let doc;
  try {
    doc = await HouseholdModel.findOneAndUpdate(
      scoped(actor, { code, version: patch.version }),
      { $set: { ...set, updatedBy: actor.username }, $inc: { version: 1 } },
      updateOptions,
    );
  } catch (err) {
    mapDuplicateKey(err);
  }
  if (!doc) throw new AppError('VERSION_CONFLICT');
  const before = toHouseholdJson(existing);
  const after = toHouseholdJson(doc as unknown as StoredHouseholdDoc);
  await recordAudit(actor, { action: 'household.update', entity: 'household', entityId: code, regionCode: after.regionCode, before, after });
  return after;
}

export async function deleteHousehold(actor: Actor, code: string, version?: number): Promise<void> {
  const existing = await findScoped(actor, code);
  assertMayWriteIn(actor, existing.regionCode);
  if (version !== undefined && version !== existing.version) throw new AppError('VERSION_CONFLICT');
  const deleted = await HouseholdModel.findOneAndDelete(scoped(actor, { code, version: existing.version })).setOptions(safe).lean();
  if (!deleted) throw new AppError('VERSION_CONFLICT');
  await recordAudit(actor, { action: 'household.delete', entity: 'household', entityId: code, regionCode: existing.regionCode, before: toHouseholdJson(existing), after: null });
}

/** Replaces the members array atomically, filtered on the version read. */
async function writeMembers(actor: Actor, existing: StoredHouseholdDoc, members: StoredMemberDoc[]): Promise<StoredHousehold> {
  let doc;
  try {
    doc = await HouseholdModel.findOneAndUpdate(
      scoped(actor, { code: existing.code, version: existing.version }),
      { $set: { members, updatedBy: actor.username }, $inc: { version: 1 } },
      updateOptions,
    );
  } catch (err) {
    mapDuplicateKey(err);
  }
  if (!doc) throw new AppError('VERSION_CONFLICT');
  return toHouseholdJson(doc as unknown as StoredHouseholdDoc);
}

function checkVersion(existing: StoredHouseholdDoc, version: number | undefined): void {
  if (version !== undefined && version !== existing.version) throw new AppError('VERSION_CONFLICT');
}

function validMember(input: unknown): MemberInput {
  const { value, error } = memberCreateSchema.validate(input, joiOptions);
  if (error) throw new AppError('VALIDATION_FAILED', joiErrors(error)[0]?.message, joiErrors(error));
  return value as MemberInput;
}

function assertNotAlreadyMember(members: StoredMemberDoc[], idNumber: string, exceptId?: string): void {
  const pid = idNumber.slice(0, 18);
  if (members.some((m) => String(m._id) !== exceptId && m.personId === pid)) throw new AppError('DUPLICATE_MEMBER');
}

export async function addMember(actor: Actor, code: string, input: MemberInput, version?: number): Promise<{ household: StoredHousehold; member: Member }> {
  const existing = await findScoped(actor, code);
  assertMayWriteIn(actor, existing.regionCode);
  checkVersion(existing, version);
  const member = validMember(input);
  assertNotAlreadyMember(existing.members, member.idNumber);
  const stored = storedMember(member);
  const members = [...existing.members, stored];
  if (existing.members.length >= 30) throw new AppError('VALIDATION_FAILED', 'A household has at most 30 members');
  assertOneHead(members);
  await assertPersonsFree(personIds([member]), code);
  const household = await writeMembers(actor, existing, members);
  const added = household.members.find((m) => m.id === String(stored._id)) as Member;
  await recordAudit(actor, { action: 'member.add', entity: 'household', entityId: code, regionCode: household.regionCode, before: null, after: added, details: { memberId: added.id } });
  return { household, member: added };
}

export async function updateMember(actor: Actor, code: string, memberId: string, patch: Record<string, unknown>): Promise<{ household: StoredHousehold; member: Member }> {
  const existing = await findScoped(actor, code);
  assertMayWriteIn(actor, existing.regionCode);
  checkVersion(existing, patch.version as number | undefined);
  const current = toHouseholdJson(existing).members.find((m) => m.id === memberId);
  if (!current) throw new AppError('MEMBER_NOT_FOUND');
  const changes = memberUpdateFrom(patch);
  const { id: _id, ...currentFields } = current;
  const mergedInput: Record<string, unknown> = { ...currentFields, ...changes };
  // A new ID number brings its own birth date unless one is given with it.
  if (Object.hasOwn(changes, 'idNumber') && !Object.hasOwn(changes, 'birthDate')) mergedInput.birthDate = null;
  const merged = validMember(mergedInput);
  assertNotAlreadyMember(existing.members, merged.idNumber, memberId);
  const members = existing.members.map((m) => (String(m._id) === memberId ? storedMember(merged, memberId) : m));
  assertOneHead(members);
  if (merged.idNumber.slice(0, 18) !== current.idNumber.slice(0, 18)) await assertPersonsFree(personIds([merged]), code);
  const household = await writeMembers(actor, existing, members);
  const updated = household.members.find((m) => m.id === memberId) as Member;
  await recordAudit(actor, { action: 'member.update', entity: 'household', entityId: code, regionCode: household.regionCode, before: current, after: updated, details: { memberId } });
  return { household, member: updated };
}

export async function removeMember(actor: Actor, code: string, memberId: string, version?: number): Promise<StoredHousehold> {
  const existing = await findScoped(actor, code);
  assertMayWriteIn(actor, existing.regionCode);
  checkVersion(existing, version);
  const current = toHouseholdJson(existing).members.find((m) => m.id === memberId);
  if (!current) throw new AppError('MEMBER_NOT_FOUND');
  const members = existing.members.filter((m) => String(m._id) !== memberId);
  assertOneHead(members);
  const household = await writeMembers(actor, existing, members);
  await recordAudit(actor, { action: 'member.remove', entity: 'household', entityId: code, regionCode: household.regionCode, before: current, after: null, details: { memberId } });
  return household;
}

/** The full ID and phone numbers of one member, with the reason kept in the audit log. */
export async function revealMember(actor: Actor, code: string, memberId: string, reason: string): Promise<{ idNumber: string; phone: string | null }> {
  assertMayReveal(actor);
  const existing = await findScoped(actor, code);
  const member = existing.members.find((m) => String(m._id) === memberId);
  if (!member) throw new AppError('MEMBER_NOT_FOUND');
  await recordAudit(actor, { action: 'reveal', entity: 'household', entityId: code, regionCode: existing.regionCode, details: { memberId, reason } });
  return { idNumber: member.idNumber, phone: member.phone ?? null };
}

/**
 * Writes a whole household by code, as the importer needs: created, updated or unchanged, all
 * or nothing (one document, one write). Members matched by ID number keep their id.
 */
export async function upsertHouseholdByCode(actor: Actor, household: Household, options: { dryRun?: boolean } = {}): Promise<{ outcome: 'created' | 'updated' | 'unchanged' }> {
  const { value, errors } = validateHousehold(household);
  if (!value) throw new AppError('VALIDATION_FAILED', errors[0]?.message, errors);
  assertValidTargetVillage(actor, value.regionCode);
  const found = await HouseholdModel.findOne({ code: value.code }).setOptions(safe).lean();
  const existing = found as unknown as StoredHouseholdDoc | null;
  if (existing && !isWithinAny(existing.regionCode, actor.regionCodes)) throw new AppError('HOUSEHOLD_EXISTS');
  await assertPersonsFree(personIds(value.members), value.code);

  if (!existing) {
    if (options.dryRun) return { outcome: 'created' };
    let created;
    try {
      created = await HouseholdModel.create({ ...storedFields(value), version: 1, createdBy: actor.username, updatedBy: actor.username });
    } catch (err) {
      mapDuplicateKey(err);
    }
    const after = toHouseholdJson(created.toObject() as unknown as StoredHouseholdDoc);
    await recordAudit(actor, { action: 'household.create', entity: 'household', entityId: after.code, regionCode: after.regionCode, before: null, after, details: { via: 'upsert' } });
    return { outcome: 'created' };
  }

  const before = toHouseholdJson(existing);
  if (contentOf(before) === contentOf(value)) return { outcome: 'unchanged' };
  if (options.dryRun) return { outcome: 'updated' };
  const keepIds = new Map(existing.members.filter((m) => m.personId).map((m) => [m.personId as string, String(m._id)]));
  let doc;
  try {
    doc = await HouseholdModel.findOneAndUpdate(
      { code: value.code, version: existing.version },
      { $set: { ...storedFields(value, keepIds), updatedBy: actor.username }, $inc: { version: 1 } },
      updateOptions,
    );
  } catch (err) {
    mapDuplicateKey(err);
  }
  if (!doc) throw new AppError('VERSION_CONFLICT');
  const after = toHouseholdJson(doc as unknown as StoredHouseholdDoc);
  await recordAudit(actor, { action: 'household.update', entity: 'household', entityId: after.code, regionCode: after.regionCode, before, after, details: { via: 'upsert' } });
  return { outcome: 'updated' };
}

// ------------------------------------------------------------------ change log

export interface ChangeEntry {
  at: string;
  action: string;
  user: string;
  role: string;
  before: unknown;
  after: unknown;
  details: unknown;
}

function maskDeepIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskDeepIds);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'idNumber' && typeof v === 'string') out[k] = maskIdNumber(v);
    else if (k === 'phone' && typeof v === 'string' && v !== '') out[k] = maskPhone(v);
    else out[k] = maskDeepIds(v);
  }
  return out;
}

/**
 * The household's change log, newest first. Scoped by the region recorded with each entry, so
 * the log of a deleted household stays readable by those who could read the household.
 */
export async function householdChanges(actor: Actor, code: string, limit = 500): Promise<{ items: ChangeEntry[] }> {
  const filter = trustOperators({ entity: 'household', entityId: code, ...subtreeFilter('regionCode', actor.regionCodes) });
  const entries = await AuditModel.find(filter).setOptions(safe).sort({ at: -1, _id: -1 }).limit(limit).lean();
  if (entries.length === 0) {
    await findScoped(actor, code); // 404 unless the household exists (and is in scope) with no entry yet
  }
  const full = maySeeFullIds(actor, 'single');
  const items = (entries as unknown as { at: Date; action: string; username: string; role: string; before: unknown; after: unknown; details: unknown }[]).map((e) => ({
    at: e.at instanceof Date ? e.at.toISOString() : String(e.at),
    action: e.action,
    user: e.username,
    role: e.role,
    before: full ? e.before : maskDeepIds(e.before),
    after: full ? e.after : maskDeepIds(e.after),
    details: e.details,
  }));
  return { items };
}
