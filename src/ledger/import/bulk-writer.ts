/**
 * Writes a batch of validated new households in one insertMany (issue 6 performance hint): each
 * household is one document, so each is still written whole or not at all, and a batch costs
 * one round trip instead of four per household (find, person check, insert, audit) through
 * `upsertHouseholdByCode`. Households that already exist go through the registry's upsert,
 * which keeps member ids and answers `unchanged`.
 *
 * What the registry checks is checked here the same way: the household passed validateHousehold
 * (the API's Joi rules), its village is in the actor's scope (the caller checked), and none of its
 * persons is in another household (one query for the batch; the unique index on
 * `members.personId` stays the last guard, and a household refused by it is retried alone
 * through the registry so its error is the registry's).
 *
 * The trail: one `household.create` entry per household, as the API writes, but without a copy
 * of the household. The API's create keeps the new household whole in `after`; for a county
 * import that doubled what the database holds (100k households written twice), for nothing an
 * auditor cannot find otherwise: the entry names who, when, the import job (whose own `import`
 * entry and job record name the file by name and sha256, the layout and the counts) and the
 * sheet rows the household came from; the household as created is its version 1, and every
 * later change keeps its `before`. `details.version` is the version the entry created.
 */
import mongoose from 'mongoose';
import { AuditModel } from '../../audit/audit.model';
import { HouseholdModel, personIdOf } from '../../registry/household.model';
import type { Household } from '../../registry/household.types';
import type { Actor } from '../../users/actor';

export interface BulkResult {
  /** Index in the input → the household was inserted. */
  inserted: Set<number>;
  /** Index → refused (another household holds one of its persons, or the insert failed). */
  refused: Map<number, 'PERSON_IN_OTHER_HOUSEHOLD' | 'RETRY'>;
}

function personIds(h: Household): string[] {
  return h.members.filter((m) => typeof m.idNumber === 'string' && m.idNumber.length >= 18).map((m) => m.idNumber.slice(0, 18).toUpperCase());
}

/** Persons of `households` that some stored household other than their own already holds. */
export async function personsTaken(households: Household[]): Promise<Map<string, string>> {
  const wanted = households.flatMap(personIds);
  const taken = new Map<string, string>();
  if (wanted.length === 0) return taken;
  const docs = (await HouseholdModel
    .find({ 'members.personId': { $in: wanted } } as never, { code: 1, 'members.personId': 1, _id: 0 })
    .lean()) as unknown as { code: string; members?: { personId: string }[] }[];
  const set = new Set(wanted);
  for (const d of docs) for (const m of d.members ?? []) if (set.has(m.personId)) taken.set(m.personId, d.code);
  return taken;
}

/** The stored form of a new household, as the registry's create stores it. */
function storedDoc(h: Household, actor: Actor, now: Date): Record<string, unknown> {
  return {
    ...h,
    _id: new mongoose.Types.ObjectId(),
    members: h.members.map((m) => {
      const _id = new mongoose.Types.ObjectId();
      const { id: _ignored, ...fields } = m;
      return { ...fields, phone: fields.phone ?? null, _id, personId: personIdOf(m.idNumber, _id) };
    }),
    phone: h.phone ?? null,
    version: 1,
    createdBy: actor.username,
    updatedBy: actor.username,
    createdAt: now,
    updatedAt: now,
  };
}

/** A new household and where in the file it came from (its first and last sheet row). */
export interface NewHousehold {
  household: Household;
  source?: { sheet: string; rows: [number, number] };
}

/**
 * Inserts new households (none of whose codes exist: the caller looked them up). With `dryRun`
 * nothing is written and every household free of person clashes counts as inserted.
 */
export async function insertNewHouseholds(actor: Actor, items: NewHousehold[], options: { dryRun: boolean; importId: string }): Promise<BulkResult> {
  const result: BulkResult = { inserted: new Set(), refused: new Map() };
  if (items.length === 0) return result;
  const households = items.map((item) => item.household);
  const taken = await personsTaken(households);
  const ready: number[] = [];
  households.forEach((h, i) => {
    if (personIds(h).some((p) => taken.has(p) && taken.get(p) !== h.code)) result.refused.set(i, 'PERSON_IN_OTHER_HOUSEHOLD');
    else ready.push(i);
  });
  if (options.dryRun) {
    for (const i of ready) result.inserted.add(i);
    return result;
  }
  const now = new Date();
  const docs = ready.map((i) => storedDoc(households[i], actor, now));
  const failed = new Set<number>();
  try {
    // lean: the households passed the API's Joi rules already; hydrating 100k Mongoose documents
    // costs eight times the insert itself (measured).
    await HouseholdModel.insertMany(docs as never[], { ordered: false, lean: true } as never);
  } catch (err) {
    const writeErrors = (err as { writeErrors?: { index?: number; err?: { index?: number } }[] }).writeErrors;
    if (!Array.isArray(writeErrors)) throw err;
    for (const w of writeErrors) failed.add(w.index ?? w.err?.index ?? -1);
  }
  const audit: Record<string, unknown>[] = [];
  ready.forEach((i, k) => {
    if (failed.has(k)) {
      result.refused.set(i, 'RETRY');
      return;
    }
    result.inserted.add(i);
    const h = households[i];
    audit.push({
      at: now, userId: actor.userId, username: actor.username, role: actor.role, action: 'household.create',
      entity: 'household', entityId: h.code, regionCode: h.regionCode, before: null, after: null,
      details: { via: 'import', importId: options.importId, version: 1, members: h.members.length, ...(items[i].source ? { source: items[i].source } : {}) },
    });
  });
  if (audit.length) await AuditModel.insertMany(audit as never[], { ordered: true, lean: true } as never);
  return result;
}
