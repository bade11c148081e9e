// Update documents: operator updates through mingo's updater (on a private copy of the stored
// document), replacements, pipeline updates, and upsert seeds ($setOnInsert is ours: mingo
// does not know it).
import { update as mingoUpdate } from 'mingo';
import { newAggregator } from './mingo-context';
import { Decimal128, Long, ObjectId, Timestamp } from 'bson';
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

/**
 * Checks mingo skips: $inc/$mul need numbers on both sides (TypeMismatch 14, as mongod), and
 * arithmetic on Decimal128 or on 64-bit integers beyond 2^53 (kept as Long) is refused, since
 * mingo would compute it silently wrong.
 */
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

function checkArithmetic(doc: Doc, ops: Doc): void {
  for (const op of ['$inc', '$mul']) {
    const arg = ops[op] as Doc | undefined;
    if (!arg) continue;
    for (const [path, by] of Object.entries(arg)) {
      const current = getPath(doc, path);
      if (by instanceof Decimal128 || current instanceof Decimal128) throw unsupported(`Decimal128 arithmetic (${op} on '${path}')`);
      if (by instanceof Long || current instanceof Long) throw unsupported(`64-bit integer arithmetic beyond 2^53 (${op} on '${path}')`);
      if (typeof by !== 'number') {
        throw new MongoCommandError('TypeMismatch', `Cannot ${op === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: {${path}: ${JSON.stringify(by)}}`);
      }
      if (current !== undefined && typeof current !== 'number') {
        throw new MongoCommandError('TypeMismatch', `Cannot apply ${op} to a value of non-numeric type. {_id: ${JSON.stringify(String(doc._id))}} has the field '${path}' of non-numeric type ${current === null ? 'null' : Array.isArray(current) ? 'array' : typeof current}`);
      }
    }
  }
}

/**
 * The updated copy of `doc`, or `doc` itself when the update changes nothing. `insert` is true
 * for the document an upsert creates ($setOnInsert applies only then).
 */
export function applyUpdate(doc: Doc, u: Doc | Doc[], arrayFilters: Doc[] | undefined, insert: boolean, filter?: Doc): Doc {
  let next: Doc;
  if (Array.isArray(u)) {
    try {
      next = newAggregator(u).run([cloneDoc(doc)])[0] as Doc;
    } catch (err) {
      throw fromMingoError(err);
    }
  } else if (isOperatorUpdate(u)) {
    let ops: Doc = { ...(u as Doc) };
    const onInsert = ops.$setOnInsert as Doc | undefined;
    delete ops.$setOnInsert;
    if (insert && onInsert) ops.$set = { ...(ops.$set as Doc | undefined), ...onInsert };
    if (ops.$currentDate) ops = currentDateAsSet(ops);
    if (!insert) ops = resolvePositionalUpdate(ops, doc, filter);
    checkArithmetic(doc, ops);
    checkPaths(doc, ops);
    const fast = arrayFilters ? null : fastUpdate(doc, ops);
    if (fast) return checkId(doc, fast);
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
  } else {
    u = u as Doc;
    if ('_id' in u && doc._id !== undefined && valueKey(u._id) !== valueKey(doc._id)) throw immutableId();
    const { _id: _ignored, ...rest } = u;
    next = doc._id !== undefined ? { _id: doc._id, ...rest } : { ...u };
  }
  return checkId(doc, next);
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
  let doc: Doc;
  if (!Array.isArray(u) && !isOperatorUpdate(u)) {
    const seed = upsertSeed(filter);
    doc = { ...(u as Doc) };
    if (doc._id === undefined && seed._id !== undefined) doc._id = seed._id;
  } else {
    doc = applyUpdate(upsertSeed(filter), u, arrayFilters, true);
  }
  if (doc._id === undefined) doc._id = new ObjectId();
  return withIdFirst(doc);
}

export function withIdFirst(doc: Doc): Doc {
  if (Object.keys(doc)[0] === '_id') return doc;
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}
