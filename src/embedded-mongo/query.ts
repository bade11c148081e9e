// Filters, sorts and projections: validated here (unsupported operators fail loudly with
// MongoDB's codes), evaluated by mingo over index-narrowed candidates.
import { BSONRegExp, BSONSymbol, Binary, Code, DBRef, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp, deserialize } from 'bson';
import { newQuery } from './mingo-context';
import { type PathLevel, TYPED, compilePaths, pickFields, pickPaths, projectIncluded } from './bson-raw';
import { decode, decodeOnce, storedBytes } from './decoded';
import type { Collection } from './collection';
import type { Engine } from './engine';
import { MongoCommandError, fromMingoError, unsupported } from './errors';
import { type Doc, isPlainObject, pathValues, valueKey } from './keys';
import type { Txn } from './sessions';
import { compileProjection, inclusionPlan } from './projection';
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
  /**
   * `$type` conditions that tell int, long and double apart: the decoded document has only JS
   * numbers, so these are checked on the stored bytes (see `matching`).
   */
  typed?: TypeCheck[];
}

interface TypeCheck { path: string[]; types: Set<string> }

const TYPE_NUMBERS: Record<string, string> = {
  '1': 'double', '2': 'string', '3': 'object', '4': 'array', '5': 'binData', '6': 'undefined', '7': 'objectId', '8': 'bool', '9': 'date',
  '10': 'null', '11': 'regex', '12': 'dbPointer', '13': 'javascript', '14': 'symbol', '15': 'javascriptWithScope', '16': 'int',
  '17': 'timestamp', '18': 'long', '19': 'decimal', '-1': 'minKey', '127': 'maxKey',
};

/** The BSON type alias of a value decoded with TYPED (numbers stay Int32/Double/Long). */
function bsonType(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  switch (typeof v) {
    case 'string': return 'string';
    case 'boolean': return 'bool';
    case 'number': return Number.isInteger(v) && Math.abs(v) <= 0x7fffffff ? 'int' : 'double';
  }
  if (v instanceof Double) return 'double';
  if (v instanceof Int32) return 'int';
  if (v instanceof Long) return 'long';
  if (v instanceof Decimal128) return 'decimal';
  if (v instanceof ObjectId) return 'objectId';
  if (v instanceof Date) return 'date';
  if (v instanceof Timestamp) return 'timestamp';
  if (v instanceof Binary) return 'binData';
  if (v instanceof RegExp || v instanceof BSONRegExp) return 'regex';
  if (v instanceof Code) return 'javascript';
  if (v instanceof BSONSymbol) return 'symbol';
  if (v instanceof MinKey) return 'minKey';
  if (v instanceof MaxKey) return 'maxKey';
  if (v instanceof DBRef) return 'object';
  return Array.isArray(v) ? 'array' : 'object';
}

const NUMBER_TYPES = new Set(['double', 'int', 'long', 'decimal']);

/**
 * Take out of the filter the `$type` conditions that name a numeric type (top level or in a
 * top-level $and): mingo sees only JS numbers and cannot tell 2 from 2.0. Conditions that
 * also name 'array' stay with mingo (the array itself, not its elements, has that type).
 */
function extractTypeChecks(filter: Doc, out: TypeCheck[]): Doc {
  let result: Doc | undefined;
  for (const [k, v] of Object.entries(filter)) {
    let next: unknown = v;
    if (k === '$and' && Array.isArray(v)) {
      const subs = v.map((f) => (isPlainObject(f) ? extractTypeChecks(f, out) : f));
      if (subs.some((f, i) => f !== v[i])) next = subs.filter((f) => !isPlainObject(f) || Object.keys(f).length > 0);
      if (Array.isArray(next) && next.length === 0) next = undefined;
    } else if (!k.startsWith('$') && isPlainObject(v) && '$type' in v) {
      const types = (Array.isArray(v.$type) ? v.$type : [v.$type]).map((t: unknown) => (typeof t === 'number' ? TYPE_NUMBERS[String(t)] : String(t)));
      if (types.some((t: string) => t === 'number' || NUMBER_TYPES.has(t)) && !types.includes('array')) {
        const set = new Set<string>(types.flatMap((t: string) => (t === 'number' ? [...NUMBER_TYPES] : [t])));
        out.push({ path: k.split('.'), types: set });
        const { $type: _taken, ...rest } = v;
        next = Object.keys(rest).length > 0 ? rest : undefined;
      }
    }
    if (next !== v) {
      result ??= { ...filter };
      if (next === undefined) delete result[k];
      else result[k] = next;
    }
  }
  return result ?? filter;
}

function typeChecksPass(checks: TypeCheck[], raw: Buffer | undefined, doc: Doc): boolean {
  const typed = raw ? pickFields(raw, new Set(checks.map((c) => c.path[0])), TYPED) : doc;
  return checks.every((c) => pathValues(typed, c.path).some((v) => v !== undefined && c.types.has(bsonType(v))));
}

/**
 * Top-level fields a filter reads, or null when it may read the whole document ($expr, $where,
 * $jsonSchema): a full scan then decodes only those fields to test each document.
 */
export function filterFields(filter: Doc, out = new Set<string>()): Set<string> | null {
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$and' || k === '$or' || k === '$nor') {
      if (!Array.isArray(v)) return null;
      for (const sub of v) if (!isPlainObject(sub) || !filterFields(sub, out)) return null;
      continue;
    }
    if (k === '$comment') continue;
    if (k.startsWith('$')) return null;
    out.add(k.split('.')[0]);
  }
  return out;
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
  const typed: TypeCheck[] = [];
  const rest = filter ? extractTypeChecks(filter as Doc, typed) : {};
  try {
    const q = newQuery(rewriteNulls(rest));
    return typed.length > 0 ? { test: (d) => q.test(d), typed } : q;
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

/**
 * Lazily yields the stored documents matching `filter`, decoded (shared objects: callers must
 * not mutate them). With `pick`, only those parts are decoded and yielded (an aggregate that
 * needs two fields of each household); `pick` must cover what the filter reads.
 */
export function* matching(engine: Engine, coll: Collection | undefined, filter: Doc | undefined, txn?: Txn, query = compileFilter(filter), pick?: PathLevel): Generator<Doc> {
  for (const [d] of matchingEntries(engine, coll, filter, txn, query, pick)) yield d;
}

/** `matching` with each document's stored bytes. */
function* matchingEntries(engine: Engine, coll: Collection | undefined, filter: Doc | undefined, txn: Txn | undefined, query: Matcher, pick?: PathLevel, decodeMatches = true): Generator<[Doc, Buffer]> {
  if (!coll) return;
  const empty = !filter || Object.keys(filter).length === 0;
  const ordered = empty ? [] : orderedEqualities(filter);
  const { planned, raws } = engine.candidates(coll, filter, txn);
  // A full scan tests each document on the fields the filter reads and decodes the rest of it
  // only when it matches; index-narrowed candidates are few and go through the LRU. A caller
  // that only wants the bytes of the matches (`decodeMatches` false) gets the tested fields.
  const readFields = pick || (decodeMatches && (planned || empty)) ? null : empty ? new Set<string>() : filterFields(filter);
  const tested = pick ?? (readFields && compilePaths(readFields));
  for (const raw of raws) {
    let d = tested ? pickPaths(raw, tested) : planned ? decode(raw) : decodeOnce(raw);
    if (!empty && !query.test(d)) continue;
    if (ordered.length > 0 && !ordered.every(([path, key]) => pathValues(d, path).some((v) => valueKey(v) === key))) continue;
    if (query.typed && !typeChecksPass(query.typed, raw, d)) continue;
    if (tested && !pick && decodeMatches) d = decodeOnce(raw);
    yield [d, raw];
  }
}

/**
 * The current bytes of each sorted match, by its id, tested against the filter again: between
 * the sort and a later batch of its cursor a document may have changed or gone (then it is left
 * out, as a document a query stops matching is; a changed one keeps its place in the order).
 */
function* reread(engine: Engine, coll: Collection, filter: Doc | undefined, txn: Txn | undefined, query: Matcher, sorted: Iterator<Doc>): Generator<Buffer> {
  const empty = !filter || Object.keys(filter).length === 0;
  const ordered = empty ? [] : orderedEqualities(filter);
  const fields = empty ? null : filterFields(filter);
  const tested = fields ? compilePaths(fields) : null;
  for (let r = sorted.next(); !r.done; r = sorted.next()) {
    const raw = engine.currentBytes(coll, valueKey(r.value._id), txn);
    if (!raw) continue;
    if (!empty) {
      const d = tested ? pickPaths(raw, tested) : decodeOnce(raw);
      if (!query.test(d)) continue;
      if (ordered.length > 0 && !ordered.every(([path, key]) => pathValues(d, path).some((v) => valueKey(v) === key))) continue;
      if (query.typed && !typeChecksPass(query.typed, raw, d)) continue;
    }
    yield raw;
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
 * The lazy result of a find, as decoded documents. Without a sort it streams over the
 * candidates; with one it holds one array of references to the matching documents (the sort
 * needs them all).
 */
export function findIterator(engine: Engine, coll: Collection | undefined, spec: FindSpec, txn?: Txn): Iterator<Doc> {
  return findResults(engine, coll, spec, txn, false) as Iterator<Doc>;
}

/**
 * The lazy result of a find command: stored documents as their stored bytes, which the reply
 * copies as they are (a findOne by code tests the filter on the code field and decodes nothing
 * else); documents under a plain inclusion projection as bytes copied out of the stored ones
 * (`projectIncluded`); other projections as objects.
 */
export function findReplyIterator(engine: Engine, coll: Collection | undefined, spec: FindSpec, txn?: Txn): Iterator<Doc | Buffer> {
  return findResults(engine, coll, spec, txn, true);
}

function findResults(engine: Engine, coll: Collection | undefined, spec: FindSpec, txn: Txn | undefined, reply: boolean): Iterator<Doc | Buffer> {
  const query = compileFilter(spec.filter);
  const sort = parseSort(spec.sort);
  // Compiled first, and whatever the path taken, so that an invalid projection fails as before.
  const project = compileProjection(spec.projection);
  const included = reply && project ? inclusionPlan(spec.projection) : null;
  // Replies are bytes without a projection and under a plain inclusion: a county run reads its
  // households with only the fields evaluation needs, and copying those fields' bytes out of the
  // stored document costs the engine a fraction of decoding the document and encoding the
  // projected object again (0.6 s against 5.2 s of CPU for 30k households).
  const asBytes = reply && (!project || included !== null);
  const replyBytes = included ? (raw: Buffer) => projectIncluded(raw, included.plan, included.keepId) : (raw: Buffer) => raw;
  const skip = Math.max(0, Number(spec.skip ?? 0));
  const limit = Math.abs(Number(spec.limit ?? 0));
  const typedSource = project ? typedProjectionSource(spec.projection) : undefined;
  const projectDoc = (d: Doc): Doc => (project && typedSource ? project(typedSource(d), spec.filter) : d);
  const sortFields = sort && sort !== 'natural-desc' ? (spec.filter ? filterFields(spec.filter) : new Set<string>()) : null;
  if (sort && sort !== 'natural-desc' && sortFields && coll) {
    // Sort on the sort and filter fields and the id only, and read just the documents that are
    // returned, when they are returned: a sorted page of 20 out of 100k households decodes 20
    // households, not 100k, and nothing holds the other households' bytes meanwhile (holding
    // them kept 220 MB alive for one page of a county's households, 350 MB for one page of a
    // county run's results).
    for (const [path] of sort) sortFields.add(path[0]);
    sortFields.add('_id');
    const picked: Doc[] = [];
    for (const [d] of matchingEntries(engine, coll, spec.filter, txn, query, compilePaths(sortFields))) picked.push(d);
    const sorted = sortDocs(picked, sort)[Symbol.iterator]();
    const raws = reread(engine, coll, spec.filter, txn, query, skip || limit ? sliceIter(sorted, skip, limit) : sorted);
    return asBytes ? mapIter(raws, replyBytes) : mapIter(raws, (raw) => projectDoc(decodeOnce(raw)));
  } else if (asBytes && !sort) {
    // The matches' bytes are the result (projected when asked): nothing else of them is decoded.
    const entries = matchingEntries(engine, coll, spec.filter, txn, query, undefined, false);
    return mapIter(skip || limit ? sliceIter(entries, skip, limit) : entries, ([, raw]) => replyBytes(raw));
  }
  let source: Iterator<Doc> = matching(engine, coll, spec.filter, txn, query);
  if (sort) source = sortDocs([...(source as Generator<Doc>)], sort)[Symbol.iterator]();
  const sliced = skip || limit ? sliceIter(source, skip, limit) : source;
  if (!asBytes) return project ? mapIter(sliced, projectDoc) : sliced;
  return mapIter(sliced, (d): Doc | Buffer => {
    const raw = storedBytes(d);
    return raw ? replyBytes(raw) : projectDoc(d);
  });
}

/**
 * What a plain inclusion or exclusion projection reads: the stored document decoded with its
 * numeric types, so that a projected double stays a double (the decoded form has only JS
 * numbers). Projections with operators, positional `$` or computed fields evaluate on the
 * decoded document.
 */
function typedProjectionSource(projection: Doc | undefined): (d: Doc) => Doc {
  const entries = Object.entries(projection ?? {});
  const plain = entries.every(([k, v]) => !k.includes('$') && (typeof v === 'number' || typeof v === 'boolean'));
  if (!plain) return (d) => d;
  const inclusion = entries.some(([k, v]) => k !== '_id' && Boolean(v));
  if (!inclusion) {
    return (d) => {
      const raw = storedBytes(d);
      return raw ? deserialize(raw, TYPED) : d;
    };
  }
  const top = new Set(['_id', ...entries.map(([k]) => k.split('.')[0])]);
  return (d) => {
    const raw = storedBytes(d);
    return raw ? pickFields(raw, top, TYPED) : d;
  };
}

function* sliceIter<T>(source: Iterator<T>, skip: number, limit: number): Generator<T> {
  let seen = 0;
  let out = 0;
  for (let r = source.next(); !r.done; r = source.next()) {
    if (seen++ < skip) continue;
    yield r.value;
    if (limit && ++out >= limit) return;
  }
}

function* mapIter<T, U>(source: Iterator<T>, fn: (d: T) => U): Generator<U> {
  for (let r = source.next(); !r.done; r = source.next()) yield fn(r.value);
}

/** Project one document (for findAndModify's `fields`). */
export function projectOne(doc: Doc, projection: Doc | undefined, filter?: Doc): Doc {
  const project = compileProjection(projection);
  return project ? project(doc, filter) : doc;
}
