// find / getMore / killCursors / count / distinct.
import { Long } from 'bson';
import type { Handler } from './context';
import { MongoCommandError } from '../errors';
import { type Doc, isPlainObject, pathValues, valueKey } from '../keys';
import { compilePaths } from '../bson-raw';
import { coveredCount, coveredDistinct } from '../covered';
import { checkCollation, filterFields, findReplyIterator, matching } from '../query';

function asNumber(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  return Number(v);
}

export const readCommands: Record<string, Handler> = {
  find: (cmd, ctx) => {
    const name = String(cmd.find);
    checkCollation(cmd.collation);
    if (cmd.tailable || cmd.awaitData) throw new MongoCommandError('CommandNotSupported', 'tailable cursors are not supported by the embedded MongoDB engine');
    for (const k of ['filter', 'sort', 'projection'] as const) {
      if (cmd[k] !== undefined && cmd[k] !== null && !isPlainObject(cmd[k])) throw new MongoCommandError('TypeMismatch', `BSON field 'FindCommandRequest.${k}' is the wrong type, expected type 'object'`);
    }
    const c = ctx.engine.collection(ctx.db, name);
    const ns = `${ctx.db}.${name}`;
    const limit = asNumber(cmd.limit) ?? 0;
    const iter = findReplyIterator(ctx.engine, c, { filter: cmd.filter as Doc, sort: cmd.sort as Doc, projection: cmd.projection as Doc, skip: asNumber(cmd.skip), limit }, ctx.txn);
    // The iterator itself stops at `limit`; batchSize only shapes the batches.
    const batchSize = asNumber(cmd.batchSize);
    const singleBatch = cmd.singleBatch === true || limit < 0;
    const { batch, id } = ctx.engine.cursors.open(ns, iter, batchSize, singleBatch, ctx.session?.key);
    return { cursor: { firstBatch: batch, id, ns }, ok: 1 };
  },

  getMore: (cmd, ctx) => {
    const id = cmd.getMore instanceof Long ? cmd.getMore : Long.fromNumber(Number(cmd.getMore));
    const ns = `${ctx.db}.${String(cmd.collection)}`;
    const { batch, id: next } = ctx.engine.cursors.getMore(id, ns, asNumber(cmd.batchSize));
    return { cursor: { nextBatch: batch, id: next, ns }, ok: 1 };
  },

  killCursors: (cmd, ctx) => {
    const ids = ((cmd.cursors as unknown[]) ?? []).map((v) => (v instanceof Long ? v : Long.fromNumber(Number(v))));
    const { killed, notFound } = ctx.engine.cursors.kill(ids);
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  },

  count: (cmd, ctx) => {
    checkCollation(cmd.collation);
    const c = ctx.engine.collection(ctx.db, String(cmd.count));
    const query = cmd.query as Doc | undefined;
    const skip = Math.max(0, asNumber(cmd.skip) ?? 0);
    const limit = Math.abs(asNumber(cmd.limit) ?? 0);
    let n = 0;
    const inTxn = c !== undefined && ctx.txn?.overlay.get(c) !== undefined;
    const fromIndex = inTxn ? null : coveredCount(c, query);
    if (c && (!query || Object.keys(query).length === 0) && !inTxn) {
      n = c.docs.size;
    } else if (fromIndex !== null) {
      n = fromIndex;
    } else {
      // Counting needs only the fields the query reads.
      const fields = query ? filterFields(query) : new Set<string>();
      for (const _d of matching(ctx.engine, c, query, ctx.txn, undefined, fields ? compilePaths(fields) : undefined)) n++;
    }
    n = Math.max(0, n - skip);
    if (limit) n = Math.min(n, limit);
    return { n, ok: 1 };
  },

  distinct: (cmd, ctx) => {
    checkCollation(cmd.collation);
    const c = ctx.engine.collection(ctx.db, String(cmd.distinct));
    if (typeof cmd.key !== 'string') throw new MongoCommandError('TypeMismatch', "BSON field 'distinct.key' is missing or has the wrong type, expected type 'string'");
    const path = cmd.key.split('.');
    const seen = new Map<string, unknown>();
    const query = cmd.query as Doc | undefined;
    const fromIndex = c && ctx.txn?.overlay.get(c) ? null : coveredDistinct(c, cmd.key, query);
    if (fromIndex) return { values: fromIndex, ok: 1 };
    const queryFields = query ? filterFields(query) : new Set<string>();
    const fields = queryFields ? compilePaths([...queryFields, cmd.key]) : undefined;
    for (const d of matching(ctx.engine, c, query, ctx.txn, undefined, fields)) {
      for (const v of pathValues(d, path)) {
        if (v === undefined) continue;
        const k = valueKey(v);
        if (!seen.has(k)) seen.set(k, v);
      }
    }
    return { values: [...seen.values()], ok: 1 };
  },
};
