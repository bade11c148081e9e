// Filters, sorts and projections: validated here (unsupported operators fail loudly with
// MongoDB's codes), evaluated by mingo over index-narrowed candidates.
import { ObjectId } from 'bson';
import { newQuery } from './mingo-context';
import type { Collection } from './collection';
import type { Engine } from './engine';
import { MongoCommandError, fromMingoError, unsupported } from './errors';
import { type Doc, isPlainObject, pathValues, valueKey } from './keys';
import type { Txn } from './sessions';
import { compileProjection } from './projection';
import { parseSort, sortDocs } from './sort';

/** Query operators mingo lacks or that need server facilities we do not have. */
const UNSUPPORTED_QUERY_OPS: Record<string, string> = {
  $text: '$text (text search)',
  $where: '$where (server-side JavaScript)',
  $near: '$near (geospatial query)',
  $nearSphere: '$nearSphere (geospatial query)',
  $geoWithin: '$geoWithin (geospatial query)',
  $geoIntersects: '$geoIntersects (geospatial query)',
  $within: '$within (geospatial query)',
  $function: '$function (server-side JavaScript)',
  $accumulator: '$accumulator (server-side JavaScript)',
};

const BSON_TYPE_ALIASES = new Set(['double', 'string', 'object', 'array', 'binData', 'undefined', 'objectId', 'bool', 'date', 'null', 'regex', 'dbPointer', 'javascript', 'symbol', 'javascriptWithScope', 'int', 'timestamp', 'long', 'decimal', 'minKey', 'maxKey', 'number']);
const BSON_TYPE_NUMBERS = new Set([-1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 127]);

/** Malformed operator arguments mingo would silently accept (answering nothing): mongod refuses them. */
function checkArgument(op: string, arg: unknown): void {
  const bad = (msg: string) => new MongoCommandError('BadValue', msg);
  switch (op) {
    case '$and': case '$or': case '$nor':
      if (!Array.isArray(arg) || arg.length === 0) throw bad(`${op} argument must be a non-empty array`);
      if (!arg.every(isPlainObject)) throw bad(`${op} argument's entries must be objects`);
      break;
    case '$in': case '$nin': case '$all':
      if (!Array.isArray(arg)) throw bad(`${op} needs an array`);
      break;
    case '$size':
      if (typeof arg !== 'number' || !Number.isInteger(arg) || arg < 0) throw bad(`Failed to parse $size. Expected a non-negative integer, got: ${JSON.stringify(arg)}`);
      break;
    case '$type':
      for (const t of Array.isArray(arg) ? arg : [arg]) {
        if (typeof t === 'string' ? !BSON_TYPE_ALIASES.has(t) : !BSON_TYPE_NUMBERS.has(Number(t))) throw bad(`Unknown type name alias: ${String(t)}`);
      }
      break;
    case '$mod':
      if (!Array.isArray(arg) || arg.length !== 2 || !arg.every((x) => typeof x === 'number')) throw bad('malformed mod, needs to be an array of two numbers');
      if (arg[0] === 0) throw bad('divisor cannot be 0');
      break;
    case '$regex':
      if (typeof arg === 'string') {
        try {
          new RegExp(arg);
        } catch (err) {
          throw new MongoCommandError('Location51091', `Regular expression is invalid: ${(err as Error).message}`);
        }
      }
      break;
  }
}

/** Walks a filter or expression and rejects unsupported operators anywhere inside it. */
export function checkOperators(value: unknown, inFilter = false): void {
  if (Array.isArray(value)) {
    for (const v of value) checkOperators(v, inFilter);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const k of Object.keys(value)) {
    if (k in UNSUPPORTED_QUERY_OPS) throw unsupported(UNSUPPORTED_QUERY_OPS[k]);
    if (inFilter && k.startsWith('$')) checkArgument(k, value[k]);
    // Below $expr the operators are aggregation expressions with other argument rules.
    checkOperators(value[k], inFilter && k !== '$expr' && k !== '$where');
  }
}

/** Only the "simple" binary collation matches what mingo does; anything else would be silently wrong. */
export function checkCollation(collation: unknown): void {
  if (collation === undefined || collation === null) return;
  if (isPlainObject(collation) && (collation.locale === 'simple' || Object.keys(collation).length === 0)) return;
  throw unsupported('collation (only the simple binary collation is available)');
}

export interface Matcher {
  test(doc: Doc): boolean;
}

function isSimpleScalar(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof ObjectId || v instanceof Date;
}

/**
 * Filters made only of equality / $in on scalars (findOne by code, by _id, updates by key) are
 * matched here: building a mingo Query costs more than the whole lookup (mingo copies its
 * operator tables for every query).
 */
function simpleMatcher(filter: Doc): Matcher | null {
  const conds: [string[], Set<string>][] = [];
  for (const [k, v] of Object.entries(filter)) {
    if (k.startsWith('$')) return null;
    let values: unknown[];
    if (isPlainObject(v)) {
      const keys = Object.keys(v);
      if (keys.length !== 1) return null;
      if (keys[0] === '$eq') values = [v.$eq];
      else if (keys[0] === '$in' && Array.isArray(v.$in)) values = v.$in;
      else return null;
    } else {
      values = [v];
    }
    if (!values.every(isSimpleScalar)) return null;
    conds.push([k.split('.'), new Set(values.map(valueKey))]);
  }
  return { test: (doc) => conds.every(([path, keys]) => pathValues(doc, path).some((x) => keys.has(valueKey(x)))) };
}

/**
 * Rewrite equality with null to the engine's `$__eqNull` (see mingo-context.ts), including null
 * inside $in, which becomes an $or of the null test and the remaining values.
 */
function rewriteNulls(filter: Doc): Doc {
  let out: Doc | undefined;
  const extra: Doc[] = [];
  for (const [k, v] of Object.entries(filter)) {
    let next = v;
    if ((k === '$and' || k === '$or' || k === '$nor') && Array.isArray(v)) next = v.map((f) => (isPlainObject(f) ? rewriteNulls(f) : f));
    else if (!k.startsWith('$') && isPlainObject(v) && Array.isArray(v.$in) && v.$in.some((x) => x === null)) {
      const { $in, ...others } = v;
      const rest = ($in as unknown[]).filter((x) => x !== null);
      extra.push({ $or: [{ [k]: { $__eqNull: true } }, { [k]: { $in: rest } }] });
      next = Object.keys(others).length > 0 ? others : undefined;
    } else if (!k.startsWith('$')) {
      if (v === null) next = { $__eqNull: true };
      else if (isPlainObject(v) && Object.keys(v).length === 1 && '$eq' in v && v.$eq === null) next = { $__eqNull: true };
      else if (isPlainObject(v) && Object.keys(v).length === 1 && '$ne' in v && v.$ne === null) next = { $__eqNull: false };
    }
    if (next !== v) {
      out ??= { ...filter };
      if (next === undefined) delete out[k];
      else out[k] = next;
    }
  }
  if (extra.length === 0) return out ?? filter;
  out ??= { ...filter };
  out.$and = [...((out.$and as Doc[] | undefined) ?? []), ...extra];
  return out;
}

export function compileFilter(filter: unknown): Matcher {
  if (filter !== undefined && filter !== null && !isPlainObject(filter)) {
    throw new MongoCommandError('TypeMismatch', "filter must be an object");
  }
  checkOperators(filter, true);
  const simple = filter ? simpleMatcher(filter as Doc) : null;
  if (simple) return simple;
  try {
    return newQuery(rewriteNulls((filter ?? {}) as Doc));
  } catch (err) {
    throw fromMingoError(err);
  }
}

/**
 * Equality with an embedded document is field-order sensitive in MongoDB but not in mingo:
 * collect such conditions so that matches can be re-checked with order-aware keys.
 */
function orderedEqualities(filter: Doc | undefined, out: [string[], string][] = []): [string[], string][] {
  if (!filter) return out;
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$and' && Array.isArray(v)) {
      for (const sub of v) if (isPlainObject(sub)) orderedEqualities(sub, out);
      continue;
    }
    if (k.startsWith('$') || !isPlainObject(v)) continue;
    const keys = Object.keys(v);
    if (keys.length > 0 && !keys.some((x) => x.startsWith('$'))) out.push([k.split('.'), valueKey(v)]);
    else if (keys.length === 1 && keys[0] === '$eq' && isPlainObject(v.$eq)) out.push([k.split('.'), valueKey(v.$eq)]);
  }
  return out;
}

/** Lazily yields the stored documents matching `filter` (never copies; callers must not mutate). */
export function* matching(engine: Engine, coll: Collection | undefined, filter: Doc | undefined, txn?: Txn, query = compileFilter(filter)): Generator<Doc> {
  if (!coll) return;
  const empty = !filter || Object.keys(filter).length === 0;
  const ordered = empty ? [] : orderedEqualities(filter);
  for (const d of engine.candidates(coll, filter, txn)) {
    if (!empty && !query.test(d)) continue;
    if (ordered.length > 0 && !ordered.every(([path, key]) => pathValues(d, path).some((v) => valueKey(v) === key))) continue;
    yield d;
  }
}

export interface FindSpec {
  filter?: Doc;
  sort?: Doc;
  projection?: Doc;
  skip?: number;
  limit?: number;
}

/**
 * The lazy result of a find. Without a sort it streams over the candidates; with one it holds
 * one array of references to the matching stored documents (the sort needs them all).
 */
export function findIterator(engine: Engine, coll: Collection | undefined, spec: FindSpec, txn?: Txn): Iterator<Doc> {
  const query = compileFilter(spec.filter);
  const sort = parseSort(spec.sort);
  const project = compileProjection(spec.projection);
  const skip = Math.max(0, Number(spec.skip ?? 0));
  const limit = Math.abs(Number(spec.limit ?? 0));
  let source: Iterator<Doc> = matching(engine, coll, spec.filter, txn, query);
  if (sort) source = sortDocs([...(source as Generator<Doc>)], sort)[Symbol.iterator]();
  const sliced = skip || limit ? sliceIter(source, skip, limit) : source;
  return project ? mapIter(sliced, (d) => project(d, spec.filter)) : sliced;
}

function* sliceIter(source: Iterator<Doc>, skip: number, limit: number): Generator<Doc> {
  let seen = 0;
  let out = 0;
  for (let r = source.next(); !r.done; r = source.next()) {
    if (seen++ < skip) continue;
    yield r.value;
    if (limit && ++out >= limit) return;
  }
}

function* mapIter(source: Iterator<Doc>, fn: (d: Doc) => Doc): Generator<Doc> {
  for (let r = source.next(); !r.done; r = source.next()) yield fn(r.value);
}

/** Project one document (for findAndModify's `fields`). */
export function projectOne(doc: Doc, projection: Doc | undefined, filter?: Doc): Doc {
  const project = compileProjection(projection);
  return project ? project(doc, filter) : doc;
}
