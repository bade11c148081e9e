// insert / update / delete / findAndModify. Each command's writes are made durable together
// (one SQLite transaction) before the reply is sent; per-statement failures become writeErrors
// exactly as mongod reports them (ordered stops at the first, unordered continues).
import { ObjectId } from 'bson';
import type { CommandContext, Handler } from './context';
import { WriteCtx } from '../engine';
import { MongoCommandError, fromMingoError, isMingoError } from '../errors';
import { type Doc, isPlainObject, valueKey } from '../keys';
import { checkCollation, compileFilter, findIterator, matching, projectOne } from '../query';
import { applyUpdate, buildUpsert, validateUpdate, withIdFirst } from '../update';

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

function finish(ctx: CommandContext, w: WriteCtx, errors: WriteError[], reply: Doc): Doc {
  if (ctx.txn && errors.length > 0) ctx.engine.abortActive(ctx.txn, 'a write failed inside the transaction');
  ctx.engine.commitWrites(w);
  if (errors.length > 0) reply.writeErrors = errors;
  reply.ok = 1;
  return reply;
}

export const writeCommands: Record<string, Handler> = {
  insert: (cmd, ctx) => {
    const docs = cmd.documents as Doc[];
    if (!Array.isArray(docs)) throw new MongoCommandError('FailedToParse', "BSON field 'insert.documents' is missing but a required field");
    const c = ctx.engine.ensureCollection(ctx.db, String(cmd.insert));
    const w = writeCtx(cmd, ctx);
    let n = 0;
    const errors = runStatements(docs, cmd.ordered !== false, ctx, (raw) => {
      if (!isPlainObject(raw)) throw new MongoCommandError('BadValue', 'document must be an object');
      // The driver appends _id to documents it generated one for; mongod stores it first.
      const doc = raw._id === undefined ? { _id: new ObjectId(), ...raw } : withIdFirst(raw);
      if (Array.isArray(doc._id) || (doc._id instanceof RegExp)) throw new MongoCommandError('BadValue', `can't use an array for _id`);
      for (const k of Object.keys(doc)) if (k.startsWith('$')) throw new MongoCommandError('BadValue', `Document can't have $ prefixed field names: ${k}`);
      ctx.engine.put(w, c, valueKey(doc._id), doc, true);
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
    const errors = runStatements(updates, cmd.ordered !== false, ctx, (spec, index) => {
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
        const doc = buildUpsert(filter, spec.u as Doc, arrayFilters);
        ctx.engine.put(w, c, valueKey(doc._id), doc, true);
        n++;
        upserted.push({ index, _id: doc._id });
        return;
      }
      for (const d of targets) {
        const next = applyUpdate(d, spec.u as Doc, arrayFilters, false, filter);
        if (valueKey(next) !== valueKey(d)) {
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
    const r = findIterator(ctx.engine, c, { filter, sort: cmd.sort as Doc | undefined, limit: 1 }, ctx.txn).next();
    const found = r.done ? undefined : (r.value as Doc);
    let value: Doc | null = null;
    const lastErrorObject: Doc = { n: 0 };
    try {
      if (remove) {
        if (found && c) {
          ctx.engine.put(w, c, valueKey(found._id), undefined);
          value = projectOne(found, fields, filter);
          lastErrorObject.n = 1;
        }
      } else if (found && c) {
        const next = applyUpdate(found, cmd.update as Doc, cmd.arrayFilters as Doc[] | undefined, false, filter);
        if (valueKey(next) !== valueKey(found)) ctx.engine.put(w, c, valueKey(found._id), next);
        value = projectOne(cmd.new ? next : found, fields, filter);
        lastErrorObject.n = 1;
        lastErrorObject.updatedExisting = true;
      } else if (cmd.upsert && c) {
        const doc = buildUpsert(filter, cmd.update as Doc, cmd.arrayFilters as Doc[] | undefined);
        ctx.engine.put(w, c, valueKey(doc._id), doc, true);
        value = cmd.new ? projectOne(doc, fields) : null;
        lastErrorObject.n = 1;
        lastErrorObject.updatedExisting = false;
        lastErrorObject.upserted = doc._id;
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
