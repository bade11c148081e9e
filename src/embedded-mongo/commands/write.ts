// insert / update / delete / findAndModify. Each command's writes are made durable together
// (one SQLite transaction) before the reply is sent; per-statement failures become writeErrors
// exactly as mongod reports them (ordered stops at the first, unordered continues).
import { ObjectId, deserialize, serialize } from 'bson';
import type { CommandContext, Handler } from './context';
import { TYPED, bsonProblem, elements, idFirst, ownBytes, toBuffer, withIdFirstBytes } from '../bson-raw';
import { storedBytes } from '../decoded';
import { type Stored, WriteCtx } from '../engine';
import { MongoCommandError, fromMingoError, isMingoError } from '../errors';
import { type Doc, isPlainObject, valueKey } from '../keys';
import { checkCollation, compileFilter, findIterator, matching, projectOne } from '../query';
import { updateStored, upsertStored, validateUpdate, withIdFirst } from '../update';

interface WriteError { index: number; code: number; errmsg: string; [k: string]: unknown }

function toWriteError(index: number, err: unknown): WriteError {
  const e = err instanceof MongoCommandError ? err : fromMingoError(err);
  return { index, code: e.code, errmsg: e.message, ...e.extra };
}

/**
 * Statement-level failures are writeErrors; inside a transaction any of them aborts the
 * transaction (as in mongod), which `failTxn` reports back to the engine.
 */
function runStatements<T>(items: T[], ordered: boolean, ctx: CommandContext, fn: (item: T, index: number) => void): WriteError[] {
  const errors: WriteError[] = [];
  for (let i = 0; i < items.length; i++) {
    try {
      fn(items[i], i);
    } catch (err) {
      if (err instanceof MongoCommandError && err.errorLabels.includes('TransientTransactionError')) throw err;
      if (!(err instanceof MongoCommandError) && !isMingoError(err)) throw err;
      errors.push(toWriteError(i, err));
      if (ctx.txn) break;
      if (ordered) break;
    }
  }
  return errors;
}

function writeCtx(cmd: Doc, ctx: CommandContext): WriteCtx {
  const w = new WriteCtx(ctx.engine, ctx.txn);
  const wc = cmd.writeConcern as Doc | undefined;
  w.journal = !!wc && (wc.j === true || wc.fsync === true);
  return w;
}

/**
 * The bytes to store for an inserted document: the client's own bytes (exact types, nothing to
 * encode), with _id moved first when it is not. Always a copy: `bytes` is a view into the whole
 * message.
 */
function insertBytes(doc: Doc, sent: Doc, bytes: Buffer | undefined): Buffer {
  if (!bytes) return ownBytes(serialize(doc));
  if (sent._id !== undefined && idFirst(bytes)) return ownBytes(bytes);
  return withIdFirstBytes(bytes, doc._id as ObjectId);
}

/** The bytes a decoded stored document came from. */
function bytesOf(doc: Doc): Buffer {
  return storedBytes(doc) ?? toBuffer(serialize(doc));
}

/** A stored document as a reply value, decoded with its stored numeric types. */
function replyValue(stored: Doc, fields: Doc | undefined, filter: Doc): Doc {
  if (fields && Object.keys(fields).length > 0) return projectOne(stored, fields, filter);
  return deserialize(bytesOf(stored), TYPED);
}

/**
 * An insert outside a transaction, from the bytes the client sent: every document checked as
 * BSON first (one that is not fails the command, nothing written, as when the message failed to
 * decode), then each stored as it came with `_id` first and decoded only as far as the
 * collection's indexes read it (`Collection.insertView`). A county run inserts 100,000 results
 * of about 3 KB; decoding each whole was about a tenth of the database thread's busy time in a
 * profile of a run. Statements fail one by one with the same errors as the decoded path below.
 */
function insertSentBytes(cmd: Doc, ctx: CommandContext, sent: Buffer[]): Doc {
  for (const bytes of sent) {
    const problem = bsonProblem(bytes);
    if (problem) throw new MongoCommandError('FailedToParse', `invalid BSON: ${problem}`);
  }
  const c = ctx.engine.ensureCollection(ctx.db, String(cmd.insert));
  const w = writeCtx(cmd, ctx);
  let n = 0;
  const errors = runStatements(sent, cmd.ordered !== false, ctx, (bytes) => {
    let idType: number | undefined;
    let dollar: string | undefined;
    for (const e of elements(bytes)) {
      if (e.name === '_id') idType ??= e.type;
      else if (e.name.startsWith('$')) dollar ??= e.name;
    }
    if (idType === 0x04 || idType === 0x0b) throw new MongoCommandError('BadValue', `can't use an array for _id`);
    if (dollar !== undefined) throw new MongoCommandError('BadValue', `Document can't have $ prefixed field names: ${dollar}`);
    // The driver appends _id to documents it generated one for; mongod stores it first. Bytes
    // with _id first are stored as a view into the message, not copied: an inserted document
    // stays in memory only until SQLite holds it (doc-store.ts `set`), within this command.
    const raw = idType !== undefined && idFirst(bytes) ? bytes : withIdFirstBytes(bytes, new ObjectId());
    const { doc, partial } = c.insertView(raw);
    ctx.engine.put(w, c, valueKey(doc._id), { raw, doc, partial }, true);
    n++;
  });
  return finish(ctx, w, errors, { n });
}

function finish(ctx: CommandContext, w: WriteCtx, errors: WriteError[], reply: Doc): Doc {
  if (ctx.txn && errors.length > 0) ctx.engine.abortActive(ctx.txn, 'a write failed inside the transaction');
  ctx.engine.commitWrites(w);
  if (errors.length > 0) reply.writeErrors = errors;
  reply.ok = 1;
  return reply;
}

export const writeCommands: Record<string, Handler> = {
  insert: (cmd, ctx) => {
    const sent = ctx.raw?.documents('documents');
    if (sent && !ctx.txn) return insertSentBytes(cmd, ctx, sent);
    const docs = cmd.documents as Doc[];
    if (!Array.isArray(docs)) throw new MongoCommandError('FailedToParse', "BSON field 'insert.documents' is missing but a required field");
    const c = ctx.engine.ensureCollection(ctx.db, String(cmd.insert));
    const w = writeCtx(cmd, ctx);
    const sentBytes = ctx.raw?.documents('documents');
    const bytes = sentBytes && sentBytes.length === docs.length ? sentBytes : undefined;
    let n = 0;
    const errors = runStatements(docs, cmd.ordered !== false, ctx, (sent, i) => {
      if (!isPlainObject(sent)) throw new MongoCommandError('BadValue', 'document must be an object');
      // The driver appends _id to documents it generated one for; mongod stores it first.
      const doc = sent._id === undefined ? { _id: new ObjectId(), ...sent } : withIdFirst(sent);
      if (Array.isArray(doc._id) || (doc._id instanceof RegExp)) throw new MongoCommandError('BadValue', `can't use an array for _id`);
      for (const k of Object.keys(doc)) if (k.startsWith('$')) throw new MongoCommandError('BadValue', `Document can't have $ prefixed field names: ${k}`);
      ctx.engine.put(w, c, valueKey(doc._id), { raw: insertBytes(doc, sent, bytes?.[i]), doc }, true);
      n++;
    });
    return finish(ctx, w, errors, { n });
  },

  update: (cmd, ctx) => {
    const updates = cmd.updates as Doc[];
    if (!Array.isArray(updates)) throw new MongoCommandError('FailedToParse', "BSON field 'update.updates' is missing but a required field");
    const name = String(cmd.update);
    const w = writeCtx(cmd, ctx);
    let n = 0;
    let nModified = 0;
    const upserted: Doc[] = [];
    const typedUpdates = ctx.raw?.typed().updates as Doc[] | undefined;
    const errors = runStatements(updates, cmd.ordered !== false, ctx, (spec, index) => {
      const typedU = typedUpdates?.[index]?.u;
      checkCollation(spec.collation);
      validateUpdate(spec.u);
      const filter = (spec.q ?? {}) as Doc;
      const query = compileFilter(filter);
      const c = spec.upsert ? ctx.engine.ensureCollection(ctx.db, name) : ctx.engine.collection(ctx.db, name);
      // Materialise the matches first: updating moves documents inside the index sets we iterate.
      const targets: Doc[] = [];
      if (spec.sort && isPlainObject(spec.sort) && Object.keys(spec.sort).length > 0 && !spec.multi) {
        const r = findIterator(ctx.engine, c, { filter, sort: spec.sort, limit: 1 }, ctx.txn).next();
        if (!r.done) targets.push(r.value);
      } else {
        for (const d of matching(ctx.engine, c, filter, ctx.txn, query)) {
          targets.push(d);
          if (!spec.multi) break;
        }
      }
      const arrayFilters = spec.arrayFilters as Doc[] | undefined;
      if (targets.length === 0) {
        if (!spec.upsert || !c) return;
        const stored = upsertStored(filter, spec.u as Doc, typedU, arrayFilters);
        ctx.engine.put(w, c, valueKey(stored.doc._id), stored, true);
        n++;
        upserted.push({ index, _id: stored.doc._id });
        return;
      }
      for (const d of targets) {
        const next = updateStored(d, bytesOf(d), spec.u as Doc, typedU, arrayFilters, filter);
        if (next) {
          ctx.engine.put(w, c!, valueKey(d._id), next);
          nModified++;
        }
        n++; // counted only once the write succeeded, as mongod's result does
      }
    });
    const reply: Doc = { n, nModified };
    if (upserted.length > 0) reply.upserted = upserted;
    return finish(ctx, w, errors, reply);
  },

  delete: (cmd, ctx) => {
    const deletes = cmd.deletes as Doc[];
    if (!Array.isArray(deletes)) throw new MongoCommandError('FailedToParse', "BSON field 'delete.deletes' is missing but a required field");
    const c = ctx.engine.collection(ctx.db, String(cmd.delete));
    const w = writeCtx(cmd, ctx);
    let n = 0;
    const errors = runStatements(deletes, cmd.ordered !== false, ctx, (spec) => {
      checkCollation(spec.collation);
      const filter = (spec.q ?? {}) as Doc;
      const query = compileFilter(filter);
      if (!c) return;
      const targets: Doc[] = [];
      for (const d of matching(ctx.engine, c, filter, ctx.txn, query)) {
        targets.push(d);
        if (Number(spec.limit) === 1) break;
      }
      for (const d of targets) {
        ctx.engine.put(w, c, valueKey(d._id), undefined);
        n++;
      }
    });
    return finish(ctx, w, errors, { n });
  },

  findAndModify: (cmd, ctx) => {
    checkCollation(cmd.collation);
    const name = String(cmd.findAndModify ?? cmd.findandmodify);
    const filter = (cmd.query ?? {}) as Doc;
    const remove = cmd.remove === true;
    if (remove && cmd.update !== undefined) throw new MongoCommandError('FailedToParse', 'Cannot specify both an update and remove=true');
    if (!remove && cmd.update === undefined) throw new MongoCommandError('FailedToParse', 'Either an update or remove=true must be specified');
    if (remove && cmd.upsert) throw new MongoCommandError('FailedToParse', 'Cannot specify both upsert=true and remove=true');
    if (!remove) validateUpdate(cmd.update);
    const c = cmd.upsert ? ctx.engine.ensureCollection(ctx.db, name) : ctx.engine.collection(ctx.db, name);
    const w = writeCtx(cmd, ctx);
    const fields = cmd.fields as Doc | undefined;
    const typedU = remove ? undefined : ctx.raw?.typed().update;
    const r = findIterator(ctx.engine, c, { filter, sort: cmd.sort as Doc | undefined, limit: 1 }, ctx.txn).next();
    const found = r.done ? undefined : (r.value as Doc);
    let value: Doc | null = null;
    const lastErrorObject: Doc = { n: 0 };
    try {
      if (remove) {
        if (found && c) {
          value = replyValue(found, fields, filter);
          ctx.engine.put(w, c, valueKey(found._id), undefined);
          lastErrorObject.n = 1;
        }
      } else if (found && c) {
        const next: Stored | null = updateStored(found, bytesOf(found), cmd.update as Doc, typedU, cmd.arrayFilters as Doc[] | undefined, filter);
        if (next) ctx.engine.put(w, c, valueKey(found._id), next);
        value = replyValue(cmd.new && next ? next.doc : found, fields, filter);
        lastErrorObject.n = 1;
        lastErrorObject.updatedExisting = true;
      } else if (cmd.upsert && c) {
        const stored = upsertStored(filter, cmd.update as Doc, typedU, cmd.arrayFilters as Doc[] | undefined);
        ctx.engine.put(w, c, valueKey(stored.doc._id), stored, true);
        value = cmd.new ? replyValue(stored.doc, fields, {}) : null;
        lastErrorObject.n = 1;
        lastErrorObject.updatedExisting = false;
        lastErrorObject.upserted = stored.doc._id;
      } else {
        lastErrorObject.updatedExisting = false;
      }
    } catch (err) {
      if (ctx.txn) ctx.engine.abortActive(ctx.txn, 'a write failed inside the transaction');
      throw err instanceof MongoCommandError ? err : fromMingoError(err);
    }
    ctx.engine.commitWrites(w);
    return { lastErrorObject, value, ok: 1 };
  },
};
