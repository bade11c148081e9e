// aggregate: mingo runs the pipeline over index-narrowed candidates; the result stays a lazy
// iterator behind the cursor. Stages that would need server facilities we lack are refused.
import { Aggregator, Context } from 'mingo';
import type { Handler } from './context';
import type { Collection } from '../collection';
import type { Engine } from '../engine';
import { MongoCommandError, fromMingoError, unsupported } from '../errors';
import { type Doc, cloneDoc, isPlainObject } from '../keys';
import { checkCollation, checkOperators } from '../query';
import type { Txn } from '../sessions';
import { decimalSafeContext } from '../decimal';

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

function validatePipeline(pipeline: unknown): Doc[] {
  if (!Array.isArray(pipeline)) throw new MongoCommandError('TypeMismatch', "'pipeline' option must be specified as an array");
  for (const stage of pipeline) {
    if (!isPlainObject(stage) || Object.keys(stage).length !== 1) throw new MongoCommandError('BadValue', 'A pipeline stage specification object must contain exactly one field.');
    const name = Object.keys(stage)[0];
    if (name in UNSUPPORTED_STAGES) throw unsupported(UNSUPPORTED_STAGES[name]);
    const arg = stage[name];
    if (name === '$facet' && isPlainObject(arg)) for (const sub of Object.values(arg)) validatePipeline(sub);
    else if ((name === '$lookup' || name === '$unionWith') && isPlainObject(arg) && Array.isArray(arg.pipeline)) validatePipeline(arg.pipeline);
    checkOperators(arg);
  }
  return pipeline as Doc[];
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

function source(engine: Engine, c: Collection | undefined, pipeline: Doc[], txn: Txn | undefined): Iterable<Doc> {
  if (!c) return [];
  const first = pipeline[0];
  const filter = first && isPlainObject(first.$match) ? (first.$match as Doc) : undefined;
  return engine.candidates(c, filter, txn);
}

function* cloned(src: Iterable<Doc>): Generator<Doc> {
  for (const d of src) yield cloneDoc(d);
}

export function runPipeline(engine: Engine, db: string, c: Collection | undefined, pipeline: Doc[], txn: Txn | undefined, extra: { variables?: Doc } = {}): Iterator<Doc> {
  const clone = needsClone(pipeline);
  const input = source(engine, c, pipeline, txn);
  const resolved = new Map<string, Doc[]>();
  const options = {
    collectionResolver: (name: string) => {
      let docs = resolved.get(name);
      if (!docs) {
        const other = engine.collection(db, name);
        docs = other ? [...(clone ? cloned(engine.candidates(other, undefined, txn)) : engine.candidates(other, undefined, txn))] : [];
        resolved.set(name, docs);
      }
      return docs;
    },
    variables: extra.variables,
    context: decimalSafeContext() as Context | undefined,
  };
  try {
    const agg = new Aggregator(pipeline, options);
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
