// aggregate: mingo runs the pipeline over index-narrowed candidates; the result stays a lazy
// iterator behind the cursor. Stages that would need server facilities we lack are refused.
import type { Handler } from './context';
import type { Collection } from '../collection';
import type { Engine } from '../engine';
import { MongoCommandError, fromMingoError, unsupported } from '../errors';
import { type Doc, cloneDoc, isPlainObject } from '../keys';
import { checkCollation, checkOperators, filterFields, matching } from '../query';
import type { Txn } from '../sessions';
import { newAggregator } from '../mingo-context';
import { coveredCount } from '../covered';
import { fastGroup } from '../fast-group';
import { compilePaths } from '../bson-raw';

const UNSUPPORTED_STAGES: Record<string, string> = {
  $out: '$out',
  $merge: '$merge',
  $changeStream: 'change streams ($changeStream)',
  $changeStreamSplitLargeEvent: 'change streams ($changeStreamSplitLargeEvent)',
  $geoNear: '$geoNear (geospatial query)',
  $search: '$search (Atlas Search)',
  $searchMeta: '$searchMeta (Atlas Search)',
  $vectorSearch: '$vectorSearch (Atlas Vector Search)',
  $listSessions: '$listSessions',
  $listLocalSessions: '$listLocalSessions',
  $currentOp: '$currentOp',
  $collStats: '$collStats',
  $indexStats: '$indexStats',
  $planCacheStats: '$planCacheStats',
  $listSearchIndexes: '$listSearchIndexes',
  $shardedDataDistribution: '$shardedDataDistribution',
};

/**
 * Stages that never write into the objects they receive. Others (dotted $addFields and friends,
 * see ENGINE-NOTES.md) may, so when any other stage appears the inputs are cloned and stored
 * documents are never touched; the common $match/$unwind/$group pipelines skip that cost.
 */
const SAFE_STAGES = new Set(['$match', '$sort', '$skip', '$limit', '$count', '$group', '$sortByCount', '$unwind', '$project']);

/** Stage names mingo implements (MongoDB's own names). */
const KNOWN_STAGES = new Set(['$addFields', '$bucket', '$bucketAuto', '$count', '$densify', '$documents', '$facet', '$fill', '$graphLookup', '$group', '$limit', '$lookup', '$match', '$project', '$redact', '$replaceRoot', '$replaceWith', '$sample', '$set', '$setWindowFields', '$skip', '$sort', '$sortByCount', '$unionWith', '$unset', '$unwind']);

/**
 * mingo's $count answers {n: 0} on empty input where MongoDB answers nothing; MongoDB itself
 * defines $count as this $group + $project.
 */
function rewriteStage(stage: Doc): Doc[] {
  if ('$count' in stage && typeof stage.$count === 'string') {
    return [{ $group: { _id: null, [stage.$count]: { $sum: 1 } } }, { $project: { _id: 0 } }];
  }
  return [stage];
}

function validatePipeline(pipeline: unknown): Doc[] {
  if (!Array.isArray(pipeline)) throw new MongoCommandError('TypeMismatch', "'pipeline' option must be specified as an array");
  for (const stage of pipeline) {
    if (!isPlainObject(stage) || Object.keys(stage).length !== 1) throw new MongoCommandError('BadValue', 'A pipeline stage specification object must contain exactly one field.');
    const name = Object.keys(stage)[0];
    if (name in UNSUPPORTED_STAGES) throw unsupported(UNSUPPORTED_STAGES[name]);
    if (!KNOWN_STAGES.has(name)) throw new MongoCommandError('Location40324', `Unrecognized pipeline stage name: '${name}'`);
    if (name === '$limit' && !(Number(stage.$limit) > 0)) throw new MongoCommandError('Location15958', 'the limit must be positive');
    if (name === '$skip' && !(Number(stage.$skip) >= 0)) throw new MongoCommandError('Location15956', 'the skip must be positive');
    const arg = stage[name];
    if (name === '$facet' && isPlainObject(arg)) for (const sub of Object.values(arg)) validatePipeline(sub);
    else if ((name === '$lookup' || name === '$unionWith') && isPlainObject(arg) && Array.isArray(arg.pipeline)) validatePipeline(arg.pipeline);
    checkOperators(arg);
  }
  return (pipeline as Doc[]).flatMap(rewriteStage);
}

/**
 * Whether mingo could write into its input objects. Leading $match/$sort/$skip/$limit only
 * select; $group/$count build fresh documents and $unwind/$project build fresh top levels whose
 * nested values are only read by the selection stages after them.
 */
function needsClone(pipeline: Doc[]): boolean {
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0];
    if (!SAFE_STAGES.has(name)) return true;
  }
  return false;
}

/**
 * The pipeline's input. A leading $match is evaluated here (index-narrowed, with the same
 * semantics as find) and removed from what mingo runs. When the rest of the pipeline needs only
 * some fields, only those are decoded from the stored bytes.
 */
function source(engine: Engine, c: Collection | undefined, pipeline: Doc[], txn: Txn | undefined): { input: Iterable<Doc>; rest: Doc[] } {
  if (!c) return { input: [], rest: pipeline };
  const first = pipeline[0];
  const match = first && isPlainObject(first.$match) ? (first.$match as Doc) : undefined;
  const rest = match ? pipeline.slice(1) : pipeline;
  const needed = neededPaths(rest);
  const matchFields = match ? filterFields(match) : new Set<string>();
  const pick = needed && matchFields ? compilePaths([...needed.paths, ...matchFields], needed.containers) : undefined;
  return { input: matching(engine, c, match, txn, undefined, pick), rest };
}

/** Field paths an expression or filter refers to ('$a.b' → 'a.b'); false if it needs the whole document. */
function referencedFields(value: unknown, out: Set<string>, filterKeys: boolean): boolean {
  if (typeof value === 'string') {
    if (value.startsWith('$$')) return /^\$\$(ROOT|CURRENT)\b/.test(value) ? false : true;
    if (value.startsWith('$')) out.add(value.slice(1));
    return true;
  }
  if (Array.isArray(value)) return value.every((v) => referencedFields(v, out, filterKeys));
  if (!isPlainObject(value)) return true;
  for (const [k, v] of Object.entries(value)) {
    if (filterKeys && !k.startsWith('$')) out.add(k);
    if (k === '$where' || k === '$function' || k === '$accumulator' || k === '$expr' || k === '$jsonSchema') return false;
    if (!referencedFields(v, out, filterKeys && (k === '$and' || k === '$or' || k === '$nor'))) return false;
  }
  return true;
}

/**
 * MongoDB's dependency tracking, for the common case: when the pipeline ends in a $group or
 * $count before anything needs whole documents, only the field paths it refers to are decoded
 * from the stored bytes (`paths`), and an $unwind'ed array only for its elements' fields
 * (`containers`). Over 100k households, `$unwind: '$members'` + `$group` by
 * `$members.health` then decodes one string per member instead of whole households.
 */
function neededPaths(pipeline: Doc[]): { paths: Set<string>; containers: Set<string> } | null {
  const paths = new Set<string>();
  const containers = new Set<string>();
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0];
    const arg = stage[name];
    switch (name) {
      case '$unwind': {
        const path = typeof arg === 'string' ? arg : isPlainObject(arg) ? arg.path : undefined;
        if (typeof path !== 'string' || (isPlainObject(arg) && arg.includeArrayIndex)) return null;
        containers.add(path.slice(1));
        break;
      }
      case '$match':
        if (!referencedFields(arg, paths, true)) return null;
        break;
      case '$sort':
        if (!isPlainObject(arg)) return null;
        for (const k of Object.keys(arg)) paths.add(k);
        break;
      case '$limit':
      case '$skip':
        break;
      case '$count':
        return { paths, containers };
      case '$group':
      case '$sortByCount':
        return referencedFields(arg, paths, false) ? { paths, containers } : null;
      default:
        return null;
    }
  }
  return null;
}

function* cloned(src: Iterable<Doc>): Generator<Doc> {
  for (const d of src) yield cloneDoc(d);
}

/**
 * `[$match, $group: { _id: constant, n: { $sum: 1 } }]` (the driver's countDocuments) and
 * `[$match, $count]` over a filter an index's keys answer (covered.ts): the count without reading
 * a document. Null for any other pipeline.
 */
function coveredCountPipeline(c: Collection | undefined, pipeline: Doc[]): Doc[] | null {
  if (pipeline.length !== 2 || !isPlainObject(pipeline[0].$match) || Object.keys(pipeline[0]).length !== 1) return null;
  const last = pipeline[1];
  let answer: (n: number) => Doc;
  if (typeof last.$count === 'string' && Object.keys(last).length === 1) {
    const name = last.$count;
    answer = (n) => ({ [name]: n });
  } else if (isPlainObject(last.$group) && Object.keys(last).length === 1) {
    const { _id: id, ...outputs } = last.$group;
    const names = Object.keys(outputs);
    const constant = id === null || typeof id === 'number' || typeof id === 'boolean' || (typeof id === 'string' && !id.startsWith('$'));
    if (!constant || names.length !== 1 || !isPlainObject(outputs[names[0]])) return null;
    const acc = outputs[names[0]] as Doc;
    if (Object.keys(acc).length !== 1 || acc.$sum !== 1) return null;
    answer = (n) => ({ _id: id, [names[0]]: n });
  } else {
    return null;
  }
  const n = coveredCount(c, pipeline[0].$match as Doc);
  if (n === null) return null;
  return n === 0 ? [] : [answer(n)];
}

export function runPipeline(engine: Engine, db: string, c: Collection | undefined, pipeline: Doc[], txn: Txn | undefined, extra: { variables?: Doc } = {}): Iterator<Doc> {
  const counted = c && txn?.overlay.get(c) ? null : coveredCountPipeline(c, pipeline);
  if (counted) return counted[Symbol.iterator]();
  const { input: all, rest } = source(engine, c, pipeline, txn);
  const clone = needsClone(rest);
  const input = all;
  const resolved = new Map<string, Doc[]>();
  const options = {
    collectionResolver: (name: string) => {
      let docs = resolved.get(name);
      if (!docs) {
        const other = engine.collection(db, name);
        docs = other ? [...(clone ? cloned(engine.documents(other, txn)) : engine.documents(other, txn))] : [];
        resolved.set(name, docs);
      }
      return docs;
    },
    variables: extra.variables,
  };
  try {
    const fast = fastGroup(input, rest);
    if (fast) {
      // Group outputs may hold stored values ($push, $first): clone them if later stages could write.
      const groups = needsClone(fast.rest) ? fast.groups.map(cloneDoc) : fast.groups;
      return fast.rest.length === 0 ? groups[Symbol.iterator]() : (newAggregator(fast.rest, options).stream(groups) as unknown as Iterator<Doc>);
    }
    const agg = newAggregator(rest, options);
    return agg.stream(clone ? cloned(input) : input) as unknown as Iterator<Doc>;
  } catch (err) {
    throw fromMingoError(err);
  }
}

/** mingo evaluates lazily: errors surface while pulling batches, so translate them there. */
function* guarded(it: Iterator<Doc>): Generator<Doc> {
  for (;;) {
    let r: IteratorResult<Doc>;
    try {
      r = it.next();
    } catch (err) {
      throw fromMingoError(err);
    }
    if (r.done) return;
    yield r.value;
  }
}

export const aggregateCommands: Record<string, Handler> = {
  aggregate: (cmd, ctx) => {
    if (cmd.explain) throw unsupported('explain');
    checkCollation(cmd.collation);
    const pipeline = validatePipeline(cmd.pipeline);
    if (!isPlainObject(cmd.cursor)) throw new MongoCommandError('FailedToParse', "The 'cursor' option is required, except for aggregate with the explain argument");
    let c: Collection | undefined;
    let ns: string;
    if (cmd.aggregate === 1) {
      if (!pipeline[0] || !('$documents' in pipeline[0])) throw unsupported('collection-less aggregate other than $documents');
      ns = `${ctx.db}.$cmd.aggregate`;
    } else {
      c = ctx.engine.collection(ctx.db, String(cmd.aggregate));
      ns = `${ctx.db}.${String(cmd.aggregate)}`;
    }
    const iter = guarded(runPipeline(ctx.engine, ctx.db, c, pipeline, ctx.txn, { variables: cmd.let as Doc | undefined }));
    const batchSize = (cmd.cursor as Doc).batchSize;
    const { batch, id } = ctx.engine.cursors.open(ns, iter, batchSize === undefined ? undefined : Number(batchSize), false, ctx.session?.key);
    return { cursor: { firstBatch: batch, id, ns }, ok: 1 };
  },
};
