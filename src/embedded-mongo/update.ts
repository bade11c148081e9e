// Update documents: operator updates through mingo's updater (on a private copy of the stored
// document), replacements, pipeline updates, and upsert seeds ($setOnInsert is ours: mingo
// does not know it).
//
// Numeric types: evaluation works on decoded documents where every number is a JS number, but
// MongoDB keeps each value's BSON type (int32, int64, double). So an update is computed on the
// decoded document, then the result is encoded with the stored types: values the update did not
// touch keep the type they are stored with (`retype`), values it writes take the type the client
// sent, and $inc/$mul follow MongoDB's arithmetic rules (`arithmetic`).
import { update as mingoUpdate } from 'mingo';
import { newAggregator } from './mingo-context';
import { Decimal128, Double, Int32, Long, ObjectId, Timestamp, deserialize, serialize } from 'bson';
import { TYPED, hasRetypedNumbers, ownBytes } from './bson-raw';
import type { Stored } from './engine';
import { MongoCommandError, fromMingoError, unsupported } from './errors';
import { type Doc, cloneDoc, getPath, isPlainObject, setPath, shellValue, valueKey } from './keys';
import { checkOperators } from './query';
import { resolvePositionalUpdate } from './positional';

const UPDATE_OPERATORS = new Set(['$set', '$unset', '$inc', '$mul', '$min', '$max', '$rename', '$push', '$addToSet', '$pull', '$pullAll', '$pop', '$currentDate', '$bit', '$setOnInsert']);
const PIPELINE_UPDATE_STAGES = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

export function isOperatorUpdate(u: unknown): boolean {
  return isPlainObject(u) && Object.keys(u).length > 0 && Object.keys(u)[0].startsWith('$');
}

export function validateUpdate(u: unknown): void {
  if (Array.isArray(u)) {
    for (const stage of u) {
      const name = isPlainObject(stage) ? Object.keys(stage)[0] : undefined;
      if (!name || !PIPELINE_UPDATE_STAGES.has(name)) {
        throw new MongoCommandError('BadValue', `${name ?? 'stage'} is not allowed to be used within an update`);
      }
      checkOperators(stage);
    }
    return;
  }
  if (!isPlainObject(u)) throw new MongoCommandError('FailedToParse', 'Update argument must be either an object or an array');
  if (isOperatorUpdate(u)) {
    for (const [op, arg] of Object.entries(u)) {
      if (!op.startsWith('$')) throw new MongoCommandError('FailedToParse', `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`);
      if (!UPDATE_OPERATORS.has(op)) throw new MongoCommandError('FailedToParse', `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`);
      if (!isPlainObject(arg)) throw new MongoCommandError('FailedToParse', `Modifiers operate on fields but we found type ${typeof arg} instead. For example: {$mod: {<field>: ...}} not {${op}: ${String(arg)}}`);
    }
  } else {
    for (const k of Object.keys(u)) {
      if (k.startsWith('$')) throw new MongoCommandError('BadValue', `The dollar ($) prefixed field '${k}' in '${k}' is not allowed in the context of an update's replacement document.`);
    }
  }
}

/** Operators that need an array at their path, and operators that may create their path. */
const ARRAY_OPERATORS = ['$push', '$addToSet', '$pop', '$pull', '$pullAll'];
const CREATING_OPERATORS = ['$set', '$inc', '$mul', '$min', '$max', '$push', '$addToSet', '$currentDate'];

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  if (isPlainObject(v)) return 'object';
  return typeof v;
}

/** Errors mongod raises and mingo does not: array operators on non-arrays, fields inside scalars. */
function checkPaths(doc: Doc, ops: Doc): void {
  for (const op of ARRAY_OPERATORS) {
    const arg = ops[op] as Doc | undefined;
    if (!arg) continue;
    for (const path of Object.keys(arg)) {
      if (path.includes('$')) continue;
      const cur = getPath(doc, path);
      if (cur !== undefined && !Array.isArray(cur)) {
        throw new MongoCommandError('BadValue', `The field '${path}' must be an array but is of type ${typeName(cur)} in document {_id: ${shellValue(doc._id)}}`);
      }
    }
  }
  for (const op of CREATING_OPERATORS) {
    const arg = ops[op] as Doc | undefined;
    if (!arg) continue;
    for (const path of Object.keys(arg)) {
      const parts = path.split('.');
      let cur: unknown = doc;
      for (let i = 0; i < parts.length - 1; i++) {
        const v = (cur as Doc)[parts[i]];
        if (v === undefined || Array.isArray(v)) break;
        if (!isPlainObject(v)) {
          throw new MongoCommandError('PathNotViable', `Cannot create field '${parts[i + 1]}' in element {${parts[i]}: ${shellValue(v)}}`);
        }
        cur = v;
      }
    }
  }
}

/** A number with its BSON type: int/long values as bigint, doubles as number. */
interface Num { kind: 'int' | 'long' | 'double'; value: number | bigint }

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The numeric type of a value decoded with TYPED, or of a plain JS number as bson would encode
 * it (an integer in the int32 range is an int32, anything else a double). Null: not a number.
 */
function numOf(v: unknown): Num | null {
  if (v instanceof Int32) return { kind: 'int', value: BigInt(v.value) };
  if (v instanceof Long) return { kind: 'long', value: v.toBigInt() };
  if (v instanceof Double) return { kind: 'double', value: v.value };
  if (typeof v === 'number') {
    return Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff ? { kind: 'int', value: BigInt(v) } : { kind: 'double', value: v };
  }
  return null;
}

/** What bson's default decoding makes of a stored wrapper (a Long beyond 2^53 stays a Long). */
function promoted(v: Int32 | Long | Double): number | Long {
  if (v instanceof Long) return Number.isSafeInteger(v.toNumber()) ? v.toNumber() : v;
  return v.value;
}

function describeNum(n: Num): string {
  return n.kind === 'double' ? String(n.value) : `(${n.kind === 'int' ? 'NumberInt' : 'NumberLong'})${n.value}`;
}

/**
 * MongoDB's arithmetic for $inc/$mul (SafeNum in the server): any double makes a double;
 * int32 with int32 stays int32 unless it overflows, then it is an int64; int64 results that
 * overflow are refused (BadValue), never silently wrapped or rounded.
 */
function compute(op: '$inc' | '$mul', a: Num, b: Num, doc: Doc): Int32 | Long | Double {
  if (a.kind === 'double' || b.kind === 'double') {
    const x = Number(a.value);
    const y = Number(b.value);
    return new Double(op === '$inc' ? x + y : x * y);
  }
  const x = a.value as bigint;
  const y = b.value as bigint;
  const r = op === '$inc' ? x + y : x * y;
  if (a.kind === 'int' && b.kind === 'int' && r >= INT32_MIN && r <= INT32_MAX) return new Int32(Number(r));
  if (r >= INT64_MIN && r <= INT64_MAX) return Long.fromBigInt(r);
  throw new MongoCommandError('BadValue', `Failed to apply ${op} operations to current value (${describeNum(a)}) for document {_id: ${shellValue(doc._id)}}`);
}

/** Whether every step of `path` in `doc` is an object, an array indexed by number, or missing. */
function plainPath(doc: Doc, parts: string[]): boolean {
  let cur: unknown = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    if (cur === undefined) return true;
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(parts[i])) return false;
    } else if (!isPlainObject(cur)) {
      return false;
    }
    cur = (cur as Doc)[parts[i]];
  }
  return cur === undefined || isPlainObject(cur) || Array.isArray(cur);
}

function allPaths(ops: Doc): string[] {
  return Object.values(ops).flatMap((arg) => (isPlainObject(arg) ? Object.keys(arg) : []));
}

function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(b + '.') || b.startsWith(a + '.');
}

/**
 * $inc and $mul computed here with their types (see `compute`) and handed to the updater as a
 * $set of the results; `assigned` receives each result with its type. Type errors are raised
 * as mongod raises them (TypeMismatch 14); Decimal128 arithmetic is refused. Paths that
 * conflict with another operator's, or that run through a scalar, stay with mingo, which
 * raises mongod's error for them.
 */
function arithmetic(doc: Doc, typedDoc: Doc, ops: Doc, typedOps: Doc, assigned: [string, unknown][]): Doc {
  if (!ops.$inc && !ops.$mul) return ops;
  const results: [string, Int32 | Long | Double][] = [];
  for (const op of ['$inc', '$mul'] as const) {
    const arg = ops[op] as Doc | undefined;
    if (!arg) continue;
    const typedArg = (isPlainObject(typedOps[op]) ? typedOps[op] : arg) as Doc;
    for (const [path, by] of Object.entries(arg)) {
      const typedBy = path in typedArg ? typedArg[path] : by;
      const current = getPath(typedDoc, path);
      if (typedBy instanceof Decimal128 || current instanceof Decimal128) throw unsupported(`Decimal128 arithmetic (${op} on '${path}')`);
      const b = numOf(typedBy);
      if (!b) {
        throw new MongoCommandError('TypeMismatch', `Cannot ${op === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: {${path}: ${JSON.stringify(by)}}`);
      }
      const a = current === undefined ? null : numOf(current);
      if (current !== undefined && !a) {
        throw new MongoCommandError('TypeMismatch', `Cannot apply ${op} to a value of non-numeric type. {_id: ${JSON.stringify(String(doc._id))}} has the field '${path}' of non-numeric type ${current === null ? 'null' : Array.isArray(current) ? 'array' : typeof current}`);
      }
      if (path.includes('$') || !plainPath(doc, path.split('.'))) return ops;
      // A missing field: $inc sets the increment, $mul sets a zero of the multiplier's type.
      const zero: Num = { kind: b.kind, value: b.kind === 'double' ? 0 : 0n };
      results.push([path, compute(op, a ?? zero, b, doc)]);
    }
  }
  const paths = allPaths(ops);
  for (const [path] of results) if (paths.filter((p) => overlaps(p, path)).length > 1) return ops;
  const { $inc: _inc, $mul: _mul, ...rest } = ops;
  const set: Doc = { ...(rest.$set as Doc | undefined) };
  for (const [path, value] of results) {
    set[path] = promoted(value);
    assigned.push([path, value]);
  }
  return { ...rest, $set: set };
}

/**
 * The updated copy of `doc`, or `doc` itself when the update changes nothing. `insert` is true
 * for the document an upsert creates ($setOnInsert applies only then).
 */
export function applyUpdate(doc: Doc, u: Doc | Doc[], arrayFilters: Doc[] | undefined, insert: boolean, filter?: Doc): Doc {
  return applyTyped(doc, doc, u, u, arrayFilters, insert, filter).next;
}

/**
 * `applyUpdate` that also reports the typed values it wrote: `typedDoc` is `doc` decoded with
 * TYPED, `typedU` the update as the client sent it (TYPED). `assigned` lists [path, value with
 * its BSON type] for the values an operator wrote; `typed` is set for a replacement.
 */
function applyTyped(doc: Doc, typedDoc: Doc, u: Doc | Doc[], typedU: unknown, arrayFilters: Doc[] | undefined, insert: boolean, filter?: Doc): { next: Doc; assigned: [string, unknown][]; typed?: Doc } {
  const assigned: [string, unknown][] = [];
  let next: Doc;
  if (Array.isArray(u)) {
    try {
      next = newAggregator(u).run([cloneDoc(doc)])[0] as Doc;
    } catch (err) {
      throw fromMingoError(err);
    }
  } else if (isOperatorUpdate(u)) {
    let ops: Doc = { ...(u as Doc) };
    // Without the client's typed form, the decoded operators stand for it (numbers as bson encodes them).
    let typedOps: Doc | undefined = isPlainObject(typedU) && typedU !== u ? { ...typedU } : undefined;
    const onInsert = ops.$setOnInsert as Doc | undefined;
    delete ops.$setOnInsert;
    if (insert && onInsert) {
      ops.$set = { ...(ops.$set as Doc | undefined), ...onInsert };
      if (typedOps) typedOps.$set = { ...(typedOps.$set as Doc | undefined), ...(typedOps.$setOnInsert as Doc | undefined) };
    }
    if (ops.$currentDate) ops = currentDateAsSet(ops);
    if (!insert) {
      ops = resolvePositionalUpdate(ops, doc, filter);
      if (typedOps) typedOps = resolvePositionalUpdate(typedOps, doc, filter);
    }
    typedOps ??= ops;
    ops = arithmetic(doc, typedDoc, ops, typedOps, assigned);
    checkPaths(doc, ops);
    const fast = arrayFilters ? null : fastUpdate(doc, ops);
    if (fast) next = fast;
    else {
      next = cloneDoc(doc);
      if (Object.keys(ops).length > 0) {
        try {
          // cloneMode 'none': the update document is private to this command and stored documents are
          // never mutated in place, so sharing its values between updated documents is safe.
          mingoUpdate(next, ops, arrayFilters, undefined, { cloneMode: 'none' });
        } catch (err) {
          throw fromMingoError(err);
        }
      }
    }
    typedAssignments(doc, typedDoc, next, typedOps, assigned);
  } else {
    u = u as Doc;
    if ('_id' in u && doc._id !== undefined && valueKey(u._id) !== valueKey(doc._id)) throw immutableId();
    const { _id: _ignored, ...rest } = u;
    next = doc._id !== undefined ? { _id: doc._id, ...rest } : { ...u };
    const tu = isPlainObject(typedU) ? typedU : u;
    const { _id: _alsoIgnored, ...typedRest } = tu;
    const typed = doc._id !== undefined ? { _id: typedDoc._id, ...typedRest } : { ...tu };
    return { next: checkId(doc, next), assigned, typed };
  }
  return { next: checkId(doc, next), assigned };
}

/**
 * The typed values of what $set, $min/$max and $rename wrote ($inc/$mul are recorded by
 * `arithmetic`). Array filter and all-positional paths are left to `retype`.
 */
function typedAssignments(doc: Doc, typedDoc: Doc, next: Doc, typedOps: Doc, assigned: [string, unknown][]): void {
  const each = (op: string, fn: (path: string, value: unknown) => void) => {
    const arg = typedOps[op];
    if (!isPlainObject(arg)) return;
    for (const [path, value] of Object.entries(arg)) if (!path.includes('$')) fn(path, value);
  };
  each('$set', (path, value) => assigned.push([path, value]));
  for (const op of ['$min', '$max']) {
    each(op, (path, value) => {
      if (valueKey(getPath(next, path)) !== valueKey(getPath(doc, path))) assigned.push([path, value]);
    });
  }
  each('$rename', (from, to) => {
    const value = getPath(typedDoc, from);
    if (typeof to === 'string' && value !== undefined) assigned.push([to, value]);
  });
}

/**
 * `next` (decoded, JS numbers) with the BSON types of `prev`'s stored form `typedPrev` wherever
 * the value is still the stored one: an untouched subtree is the stored subtree itself, and a
 * number equal to the stored number at the same place keeps the stored type. New numbers get
 * bson's default (int32 when integral and in range, else double).
 */
function retype(next: unknown, prev: unknown, typedPrev: unknown): unknown {
  if (next === prev) return typedPrev;
  if (typeof next === 'number') {
    const stored = typedPrev instanceof Int32 || typedPrev instanceof Double || typedPrev instanceof Long ? typedPrev : undefined;
    return stored && Number(promotedValue(stored)) === next ? stored : next;
  }
  if (Array.isArray(next)) {
    return next.map((e, i) => retype(e, Array.isArray(prev) ? prev[i] : undefined, Array.isArray(typedPrev) ? typedPrev[i] : undefined));
  }
  if (isPlainObject(next)) {
    const out: Doc = {};
    const p = isPlainObject(prev) ? prev : undefined;
    const t = isPlainObject(typedPrev) ? typedPrev : undefined;
    for (const k of Object.keys(next)) out[k] = retype(next[k], p?.[k], t?.[k]);
    return out;
  }
  return next;
}

function promotedValue(v: Int32 | Double | Long): number {
  return v instanceof Long ? v.toNumber() : v.value;
}

/** Put `value` at `path` when the path exists in `doc` (an assignment the update made). */
function setExisting(doc: Doc, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: unknown = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    if (cur === null || typeof cur !== 'object') return;
    cur = (cur as Doc)[parts[i]];
  }
  const last = parts[parts.length - 1];
  if (cur !== null && typeof cur === 'object' && (isPlainObject(cur) || Array.isArray(cur)) && (cur as Doc)[last] !== undefined) (cur as Doc)[last] = value;
}

/**
 * Apply an update to a stored document (`prev`, decoded, with its bytes `prevRaw`) and encode
 * the result with MongoDB's types. `typedU` is the update as the client sent it (TYPED
 * decoding; undefined when only the decoded form exists). Returns null when the stored bytes
 * would not change (mongod's nModified counts only real changes).
 */
export function updateStored(prev: Doc, prevRaw: Buffer, u: Doc | Doc[], typedU: unknown, arrayFilters: Doc[] | undefined, filter?: Doc): Stored | null {
  // When bson's defaults give every stored number back with its type (the usual case), the
  // decoded document stands for the typed one and the result is encoded as it is.
  const retyped = hasRetypedNumbers(prevRaw);
  const typedPrev = retyped ? deserialize(prevRaw, TYPED) : prev;
  const r = applyTyped(prev, typedPrev, u, typedU ?? u, arrayFilters, false, filter);
  const plain = !retyped && !r.typed && !r.assigned.some(([, v]) => keepsOwnType(v));
  const raw = plain ? ownBytes(serialize(r.next)) : encodeTyped(r, prev, typedPrev);
  return raw.equals(prevRaw) ? null : { raw, doc: r.next };
}

/** Whether a typed value holds a number bson's default encoding of its JS form would change. */
function keepsOwnType(v: unknown): boolean {
  if (v instanceof Double) return Number.isInteger(v.value) && v.value >= -0x80000000 && v.value <= 0x7fffffff;
  if (v instanceof Long) return Number.isSafeInteger(v.toNumber());
  if (Array.isArray(v)) return v.some(keepsOwnType);
  if (isPlainObject(v)) return Object.values(v).some(keepsOwnType);
  return false;
}

function encodeTyped(r: { next: Doc; assigned: [string, unknown][]; typed?: Doc }, prev: Doc, typedPrev: Doc): Buffer {
  let typed = r.typed;
  if (!typed) {
    typed = retype(r.next, prev, typedPrev) as Doc;
    for (const [path, value] of r.assigned) setExisting(typed, path, value);
  }
  return ownBytes(serialize(typed));
}

let timestampCounter = 0;

/** $currentDate as a $set, so that `{$type: 'timestamp'}` yields a BSON Timestamp (mingo writes a number). */
function currentDateAsSet(ops: Doc): Doc {
  const { $currentDate, ...rest } = ops;
  const set: Doc = { ...(rest.$set as Doc | undefined) };
  for (const [path, spec] of Object.entries($currentDate as Doc)) {
    const type = isPlainObject(spec) ? spec.$type : 'date';
    if (spec !== true && type !== 'date' && type !== 'timestamp') {
      throw new MongoCommandError('BadValue', `The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}`);
    }
    if (path in set) throw new MongoCommandError('ConflictingUpdateOperators', `Updating the path '${path}' would create a conflict at '${path}'`);
    set[path] = type === 'timestamp' ? new Timestamp({ t: Math.floor(Date.now() / 1000), i: ++timestampCounter }) : new Date();
  }
  return { ...rest, $set: set };
}

function checkId(doc: Doc, next: Doc): Doc {
  if (doc._id !== undefined && valueKey(next._id) !== valueKey(doc._id)) throw immutableId();
  return next;
}

const FAST_OPERATORS = new Set(['$set', '$unset', '$inc', '$addToSet']);

/**
 * $set / $unset / $inc on plain object paths (what Mongoose's save() and most updates send),
 * applied by copying only the objects along the changed paths: the rest is shared with the
 * stored document, which is never mutated. Anything else (arrays on the path, positional or
 * conflicting paths) returns null and goes to mingo's updater on a full copy.
 */
function fastUpdate(doc: Doc, ops: Doc): Doc | null {
  const steps: [op: string, parts: string[], value: unknown][] = [];
  for (const [op, arg] of Object.entries(ops)) {
    if (!FAST_OPERATORS.has(op)) return null;
    for (const [path, value] of Object.entries(arg as Doc)) {
      const parts = path.split('.');
      if (parts.some((p) => p === '' || p.startsWith('$') || /^\d+$/.test(p))) return null;
      steps.push([op, parts, value]);
    }
  }
  // MongoDB (5.0+) applies fields in lexicographic order; overlapping paths are a conflict that
  // mingo reports with the right error.
  steps.sort((a, b) => (a[1].join('.') < b[1].join('.') ? -1 : 1));
  for (let i = 1; i < steps.length; i++) {
    const prev = steps[i - 1][1].join('.');
    const cur = steps[i][1].join('.');
    if (cur === prev || cur.startsWith(prev + '.')) return null;
  }
  const root: Doc = { ...doc };
  const owned = new Set<Doc>([root]);
  for (const [op, parts, value] of steps) {
    let cur = root;
    let missing = false;
    for (let i = 0; i < parts.length - 1; i++) {
      const v = cur[parts[i]];
      if (v === undefined || v === null) {
        if (op === '$unset') {
          missing = true;
          break;
        }
        if (v === null) return null; // mongod refuses to create a field inside null: let mingo say so
        const created: Doc = {};
        cur[parts[i]] = created;
        owned.add(created);
        cur = created;
        continue;
      }
      if (!isPlainObject(v)) return null;
      if (!owned.has(v)) {
        const copy = { ...v };
        cur[parts[i]] = copy;
        owned.add(copy);
        cur = copy;
      } else {
        cur = v;
      }
    }
    if (missing) continue;
    const last = parts[parts.length - 1];
    if (op === '$set') cur[last] = value;
    else if (op === '$unset') delete cur[last];
    else if (op === '$addToSet') {
      // Embedded documents are equal only with the same fields in the same order (valueKey).
      const isEach = isPlainObject(value) && Object.keys(value)[0] === '$each';
      const each = isEach ? (value as Doc).$each : [value];
      if (!Array.isArray(each) || (isEach && Object.keys(value as Doc).length > 1)) return null;
      const arr = Array.isArray(cur[last]) ? [...(cur[last] as unknown[])] : [];
      const seen = new Set(arr.map(valueKey));
      for (const v of each) {
        const k = valueKey(v);
        if (!seen.has(k)) {
          seen.add(k);
          arr.push(v);
        }
      }
      cur[last] = arr;
    }
    else cur[last] = cur[last] === undefined ? value : (cur[last] as number) + (value as number);
  }
  return root;
}

function immutableId(): MongoCommandError {
  return new MongoCommandError('ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
}

/** The document an upsert starts from: the filter's equality conditions (MongoDB's rule). */
export function upsertSeed(filter: Doc | undefined): Doc {
  const seed: Doc = {};
  const visit = (f: Doc) => {
    for (const [k, v] of Object.entries(f)) {
      if (k === '$and' && Array.isArray(v)) {
        for (const sub of v) if (isPlainObject(sub)) visit(sub);
        continue;
      }
      if (k.startsWith('$')) continue;
      if (isPlainObject(v)) {
        const keys = Object.keys(v);
        if (keys.length === 1 && keys[0] === '$eq') setPath(seed, k, cloneDoc(v.$eq));
        else if (keys.length > 0 && !keys.some((x) => x.startsWith('$'))) setPath(seed, k, cloneDoc(v));
        continue;
      }
      if (v instanceof RegExp) continue;
      setPath(seed, k, cloneDoc(v));
    }
  };
  if (filter) visit(filter);
  return seed;
}

/** Build the upserted document, with _id first (generated when neither filter nor update gives one). */
export function buildUpsert(filter: Doc | undefined, u: Doc | Doc[], arrayFilters: Doc[] | undefined): Doc {
  return upsertStored(filter, u, undefined, arrayFilters).doc;
}

/** `buildUpsert` with the encoded document; `typedU` as for `updateStored`. */
export function upsertStored(filter: Doc | undefined, u: Doc | Doc[], typedU: unknown, arrayFilters: Doc[] | undefined): Stored {
  const seed = upsertSeed(filter);
  let doc: Doc;
  let typed: Doc;
  if (!Array.isArray(u) && !isOperatorUpdate(u)) {
    doc = { ...(u as Doc) };
    typed = isPlainObject(typedU) ? { ...typedU } : { ...doc };
    if (doc._id === undefined && seed._id !== undefined) doc._id = typed._id = seed._id;
  } else {
    const r = applyTyped(seed, seed, u, typedU ?? u, arrayFilters, true);
    doc = r.next;
    typed = retype(doc, seed, seed) as Doc;
    for (const [path, value] of r.assigned) setExisting(typed, path, value);
  }
  if (doc._id === undefined) doc._id = typed._id = new ObjectId();
  doc = withIdFirst(doc);
  return { raw: ownBytes(serialize(withIdFirst(typed))), doc };
}

export function withIdFirst(doc: Doc): Doc {
  if (Object.keys(doc)[0] === '_id') return doc;
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}
