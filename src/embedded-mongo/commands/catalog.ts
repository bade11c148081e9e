// Collections and indexes: create/drop/list, createIndexes/listIndexes/dropIndexes.
import { Long } from 'bson';
import type { Handler } from './context';
import { MongoCommandError, unsupported } from '../errors';
import { type IndexSpec, defaultIndexName } from '../indexes';
import { type Doc, isPlainObject, valueKey } from '../keys';
import { checkCollation } from '../query';
import { newQuery } from '../mingo-context';

const UNSUPPORTED_CREATE_OPTIONS: Record<string, string> = {
  capped: 'capped collections',
  timeseries: 'time series collections',
  viewOn: 'views',
  pipeline: 'views',
  validator: 'document validation (validator)',
  clusteredIndex: 'clustered collections',
  changeStreamPreAndPostImages: 'change streams',
  encryptedFields: 'queryable encryption',
};

/** Index options we store and honour; anything else is rejected rather than ignored. */
const INDEX_OPTIONS = new Set(['key', 'name', 'unique', 'sparse', 'partialFilterExpression', 'background', 'v', 'expireAfterSeconds', 'collation', 'hidden']);

function cursorReply(ns: string, firstBatch: Doc[]): Doc {
  return { cursor: { id: Long.ZERO, ns, firstBatch }, ok: 1 };
}

export const catalogCommands: Record<string, Handler> = {
  create: (cmd, ctx) => {
    const name = String(cmd.create);
    for (const k of Object.keys(cmd)) if (k in UNSUPPORTED_CREATE_OPTIONS) throw unsupported(UNSUPPORTED_CREATE_OPTIONS[k]);
    checkCollation(cmd.collation);
    if (ctx.engine.collection(ctx.db, name)) throw new MongoCommandError('NamespaceExists', `Collection ${ctx.db}.${name} already exists.`);
    ctx.engine.ensureCollection(ctx.db, name, {});
    return { ok: 1 };
  },

  drop: (cmd, ctx) => {
    const c = ctx.engine.collection(ctx.db, String(cmd.drop));
    if (!c) return { ok: 1 };
    const nIndexesWas = c.indexes.length + 1;
    ctx.engine.dropCollection(c);
    return { nIndexesWas, ns: c.ns, ok: 1 };
  },

  dropDatabase: (_cmd, ctx) => {
    ctx.engine.dropDatabase(ctx.db);
    return { dropped: ctx.db, ok: 1 };
  },

  listCollections: (cmd, ctx) => {
    let entries: Doc[] = ctx.engine.collections(ctx.db).map((c) => ({
      name: c.name,
      type: 'collection',
      options: c.options,
      info: { readOnly: false },
      idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
    }));
    if (isPlainObject(cmd.filter) && Object.keys(cmd.filter).length > 0) {
      const q = newQuery(cmd.filter);
      entries = entries.filter((e) => q.test(e));
    }
    if (cmd.nameOnly) entries = entries.map((e) => ({ name: e.name, type: e.type }));
    return cursorReply(`${ctx.db}.$cmd.listCollections`, entries);
  },

  renameCollection: (cmd, ctx) => {
    const [fromDb, ...fromRest] = String(cmd.renameCollection).split('.');
    const [toDb, ...toRest] = String(cmd.to).split('.');
    const c = ctx.engine.collection(fromDb, fromRest.join('.'));
    if (!c) throw new MongoCommandError('NamespaceNotFound', `Source collection ${cmd.renameCollection} does not exist`);
    const target = ctx.engine.collection(toDb, toRest.join('.'));
    if (target) {
      if (!cmd.dropTarget) throw new MongoCommandError('NamespaceExists', `target namespace exists`);
      ctx.engine.dropCollection(target);
    }
    ctx.engine.renameCollection(c, toDb, toRest.join('.'));
    return { ok: 1 };
  },

  createIndexes: (cmd, ctx) => {
    const name = String(cmd.createIndexes);
    const specs = cmd.indexes as Doc[];
    if (!Array.isArray(specs) || specs.length === 0) throw new MongoCommandError('BadValue', "Must specify at least one index to create");
    const existed = !!ctx.engine.collection(ctx.db, name);
    const c = ctx.engine.ensureCollection(ctx.db, name);
    const before = c.indexes.length + 1;
    for (const raw of specs) {
      if (!isPlainObject(raw.key) || Object.keys(raw.key).length === 0) throw new MongoCommandError('CannotCreateIndex', "The 'key' field is a required property of an index specification");
      for (const k of Object.keys(raw)) if (!INDEX_OPTIONS.has(k)) throw unsupported(`index option '${k}'`);
      checkCollation(raw.collation);
      const spec: IndexSpec = { v: 2, key: raw.key as IndexSpec['key'], name: typeof raw.name === 'string' ? raw.name : defaultIndexName(raw.key as Doc) };
      for (const k of ['unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds', 'hidden'] as const) if (raw[k] !== undefined && raw[k] !== false) spec[k] = raw[k];
      if (valueKey(spec.key) === valueKey({ _id: 1 })) continue;
      const sameName = c.indexes.find((i) => i.name === spec.name);
      const sameKey = c.indexes.find((i) => valueKey(i.spec.key) === valueKey(spec.key));
      if (sameName || sameKey) {
        const existing = (sameName ?? sameKey)!;
        if (existing.name !== spec.name) throw new MongoCommandError('IndexOptionsConflict', `Index already exists with a different name: ${existing.name}`);
        if (valueKey(existing.spec.key) !== valueKey(spec.key)) throw new MongoCommandError('IndexKeySpecsConflict', `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(existing.spec)}`);
        if (!!existing.unique !== !!spec.unique || !!existing.sparse !== !!spec.sparse || valueKey(existing.spec.partialFilterExpression) !== valueKey(spec.partialFilterExpression)) {
          throw new MongoCommandError('IndexOptionsConflict', `An equivalent index already exists with the same name but different options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(existing.spec)}`);
        }
        continue;
      }
      ctx.engine.createIndex(c, spec);
    }
    const after = c.indexes.length + 1;
    const reply: Doc = { numIndexesBefore: before, numIndexesAfter: after, createdCollectionAutomatically: !existed, ok: 1 };
    if (before === after) reply.note = 'all indexes already exist';
    return reply;
  },

  listIndexes: (cmd, ctx) => {
    const c = ctx.engine.collection(ctx.db, String(cmd.listIndexes));
    if (!c) throw new MongoCommandError('NamespaceNotFound', `ns does not exist: ${ctx.db}.${String(cmd.listIndexes)}`);
    return cursorReply(c.ns, c.indexSpecs());
  },

  dropIndexes: (cmd, ctx) => {
    const c = ctx.engine.collection(ctx.db, String(cmd.dropIndexes));
    if (!c) throw new MongoCommandError('NamespaceNotFound', `ns not found ${ctx.db}.${String(cmd.dropIndexes)}`);
    const nIndexesWas = c.indexes.length + 1;
    const which = cmd.index;
    if (which === '*') {
      for (const i of [...c.indexes]) ctx.engine.dropIndex(c, i.name);
    } else {
      const names = Array.isArray(which) ? which.map(String) : isPlainObject(which) ? [c.indexes.find((i) => valueKey(i.spec.key) === valueKey(which))?.name ?? ''] : [String(which)];
      for (const n of names) {
        if (n === '_id_') throw new MongoCommandError('InvalidOptions', 'cannot drop _id index');
        if (!n) throw new MongoCommandError('IndexNotFound', `can't find index with key: ${JSON.stringify(which)}`);
        ctx.engine.dropIndex(c, n);
      }
    }
    return { nIndexesWas, ok: 1 };
  },

  collMod: () => {
    throw unsupported('collMod');
  },
};
