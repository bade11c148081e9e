// Update documents: operator updates through mingo's updater (on a private copy of the stored
// document), replacements, pipeline updates, and upsert seeds ($setOnInsert is ours: mingo
// does not know it).
import { Aggregator, update as mingoUpdate } from 'mingo';
import { Decimal128, ObjectId } from 'bson';
import { MongoCommandError, fromMingoError, unsupported } from './errors';
import { type Doc, cloneDoc, getPath, isPlainObject, setPath, valueKey } from './keys';
import { checkOperators } from './query';

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

/** Refuse arithmetic that mingo would get silently wrong on Decimal128 values. */
function checkDecimalArithmetic(doc: Doc, ops: Doc): void {
  for (const op of ['$inc', '$mul']) {
    const arg = ops[op] as Doc | undefined;
    if (!arg) continue;
    for (const [path, by] of Object.entries(arg)) {
      if (by instanceof Decimal128 || getPath(doc, path) instanceof Decimal128) throw unsupported(`Decimal128 arithmetic (${op} on '${path}')`);
    }
  }
}

/**
 * The updated copy of `doc`, or `doc` itself when the update changes nothing. `insert` is true
 * for the document an upsert creates ($setOnInsert applies only then).
 */
export function applyUpdate(doc: Doc, u: Doc | Doc[], arrayFilters: Doc[] | undefined, insert: boolean): Doc {
  let next: Doc;
  if (Array.isArray(u)) {
    try {
      next = new Aggregator(u, {}).run([cloneDoc(doc)])[0] as Doc;
    } catch (err) {
      throw fromMingoError(err);
    }
  } else if (isOperatorUpdate(u)) {
    const ops: Doc = { ...(u as Doc) };
    const onInsert = ops.$setOnInsert as Doc | undefined;
    delete ops.$setOnInsert;
    if (insert && onInsert) ops.$set = { ...(ops.$set as Doc | undefined), ...onInsert };
    checkDecimalArithmetic(doc, ops);
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
  if (doc._id !== undefined && valueKey(next._id) !== valueKey(doc._id)) throw immutableId();
  return next;
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
