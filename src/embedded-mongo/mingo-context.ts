// The operator set handed to mingo. mingo's default context cannot be overridden through
// options (its own operators win a merge), so we build the full context ourselves from its
// operator modules, replacing the few whose results differ from MongoDB's:
// - expression comparisons ($gt, $eq, ... inside $expr, $project, $group) use MongoDB's total
//   BSON order, where a missing field sorts below null; mingo answers false across types;
// - arithmetic refuses Decimal128 and 64-bit Longs beyond 2^53: mingo treats them as non-numbers
//   and answers silently wrong sums (ENGINE-NOTES.md); $sum/$avg are reimplemented to check
//   their operands without evaluating them twice.
import { Aggregator } from 'mingo/aggregator';
import { Context, evalExpr } from 'mingo/core';
import { Query } from 'mingo/query';
import type { Options } from 'mingo/types';
import * as accumulatorOps from 'mingo/operators/accumulator';
import * as expressionOps from 'mingo/operators/expression';
import * as pipelineOps from 'mingo/operators/pipeline';
import * as projectionOps from 'mingo/operators/projection';
import * as queryOps from 'mingo/operators/query';
import * as windowOps from 'mingo/operators/window';
import { Decimal128, Long } from 'bson';
import { unsupported } from './errors';
import { type Doc, containsDecimal, isPlainObject, valueKey } from './keys';
import { compareValues, parseSort, sortDocs } from './sort';
import { Lazy } from 'mingo/lazy';

function compareExpr(a: unknown, b: unknown): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  return compareValues(a, b);
}

function comparison(test: (c: number) => boolean) {
  return (obj: unknown, expr: unknown, options: any) => {
    const [a, b] = evalExpr(obj, expr, options) as unknown[];
    return test(compareExpr(a, b));
  };
}

const comparisons: Record<string, any> = {
  $gt: comparison((c) => c > 0),
  $gte: comparison((c) => c >= 0),
  $lt: comparison((c) => c < 0),
  $lte: comparison((c) => c <= 0),
  $eq: comparison((c) => c === 0),
  $ne: comparison((c) => c !== 0),
  $cmp: (obj: unknown, expr: unknown, options: any) => {
    const [a, b] = evalExpr(obj, expr, options) as unknown[];
    return Math.sign(compareExpr(a, b));
  },
};

const ARITH_ACCUMULATORS = ['$stdDevPop', '$stdDevSamp', '$median', '$percentile'];
const ARITH_EXPRESSIONS = ['$add', '$subtract', '$multiply', '$divide', '$mod', '$abs', '$ceil', '$floor', '$round', '$trunc', '$pow', '$sqrt', '$exp', '$ln', '$log', '$log10'];

function refuse(name: string): never {
  throw unsupported(`Decimal128 or 64-bit integer arithmetic (${name})`);
}

function isExactNumber(v: unknown): boolean {
  return v instanceof Decimal128 || v instanceof Long;
}

/** $sum and $avg evaluate their operand once and refuse exact numeric types (mingo gives 0). */
function numericValues(name: string, coll: unknown[], expr: unknown, options: any): number[] {
  const values = (accumulatorOps as Record<string, any>).$push(coll, expr, options) as unknown[];
  const out: number[] = [];
  for (const v of values) {
    if (typeof v === 'number') out.push(v);
    else if (isExactNumber(v) || (Array.isArray(v) && v.some(isExactNumber))) refuse(name);
    else if (Array.isArray(v) && expr !== null) for (const x of v) if (typeof x === 'number') out.push(x);
  }
  return out;
}

function guardedArithmetic(): { accumulator: Record<string, any>; expression: Record<string, any> } {
  const accumulator: Record<string, any> = {
    $sum: (coll: unknown[], expr: unknown, options: any) => {
      if (typeof expr === 'number') return coll.length * expr;
      let total = 0;
      for (const x of numericValues('$sum', coll, expr, options)) total += x;
      return total;
    },
    $avg: (coll: unknown[], expr: unknown, options: any) => {
      const values = numericValues('$avg', coll, expr, options);
      if (values.length === 0) return null;
      let total = 0;
      for (const x of values) total += x;
      return total / values.length;
    },
  };
  for (const name of ARITH_ACCUMULATORS) {
    const orig = (accumulatorOps as Record<string, any>)[name];
    if (!orig) continue;
    accumulator[name] = (coll: unknown[], expr: unknown, options: any) => {
      if (typeof expr !== 'number') for (const d of coll) if (containsDecimal(evalExpr(d, expr, options))) refuse(name);
      return orig(coll, expr, options);
    };
  }
  const expression: Record<string, any> = {};
  for (const name of ARITH_EXPRESSIONS) {
    const orig = (expressionOps as Record<string, any>)[name];
    if (!orig) continue;
    expression[name] = (obj: unknown, expr: unknown, options: any) => {
      if (containsDecimal(evalExpr(obj, expr, options))) refuse(name);
      return orig(obj, expr, options);
    };
  }
  return { accumulator, expression };
}

/**
 * `{path: null}` matches a document where the path is missing or null anywhere along it,
 * including an array element that lacks the field (MongoDB); mingo misses that case. Filters
 * are rewritten to this operator by query.ts.
 */
export function nullAt(v: unknown, parts: string[], i = 0): boolean {
  if (i === parts.length) return v === null || v === undefined || (Array.isArray(v) && v.some((e) => e === null));
  if (v === null || v === undefined) return true;
  if (Array.isArray(v)) {
    if (/^\d+$/.test(parts[i]) && Number(parts[i]) < v.length && nullAt(v[Number(parts[i])], parts, i + 1)) return true;
    return v.some((e) => isPlainObject(e) && nullAt(e, parts, i));
  }
  if (isPlainObject(v)) return nullAt(v[parts[i]], parts, i + 1);
  return true;
}

const engineQueryOps: Record<string, any> = {
  $__eqNull: (selector: string, value: boolean) => {
    const parts = selector.split('.');
    return (o: unknown) => nullAt(o, parts) === value;
  },
};

/** $project puts _id last in mingo; MongoDB keeps it first. */
const engineProject = (coll: any, expr: unknown, options: any) =>
  (pipelineOps as Record<string, any>).$project(coll, expr, options).map((d: Doc) => {
    if (!isPlainObject(d) || !('_id' in d) || Object.keys(d)[0] === '_id') return d;
    const { _id, ...rest } = d;
    return { _id, ...rest };
  });

/** $sort with MongoDB's order (type ranks, arrays by min/max element, strings by code point). */
const engineSort = (coll: any, expr: unknown) => {
  const spec = parseSort(expr);
  const docs = coll.collect() as Doc[];
  return Lazy(spec ? sortDocs(docs, spec) : docs);
};

/** $push/$addToSet skip documents where the value is missing, and keep explicit nulls. */
function present(coll: unknown[], expr: unknown, options: any): unknown[] {
  if (expr === null || expr === undefined) return coll.filter((v) => v !== undefined);
  // `options` is mingo's ComputeOptions (not exported): its own init() scopes $$ROOT per document.
  const copts = options.constructor.init(options);
  const out: unknown[] = [];
  for (const d of coll) {
    const v = evalExpr(d, expr, copts.update({ root: d }));
    if (v !== undefined) out.push(v);
  }
  return out;
}

const collecting: Record<string, any> = {
  $push: (coll: unknown[], expr: unknown, options: any) => present(coll, expr, options),
  $addToSet: (coll: unknown[], expr: unknown, options: any) => {
    const seen = new Map<string, unknown>();
    for (const v of present(coll, expr, options)) {
      const k = valueKey(v);
      if (!seen.has(k)) seen.set(k, v);
    }
    return [...seen.values()];
  },
};

function build(): Context {
  const guarded = guardedArithmetic();
  return Context.init({
    accumulator: { ...(accumulatorOps as Record<string, any>), ...collecting, ...guarded.accumulator },
    expression: { ...(expressionOps as Record<string, any>), ...guarded.expression, ...comparisons },
    pipeline: { ...(pipelineOps as Record<string, any>), $project: engineProject, $sort: engineSort } as Record<string, any>,
    projection: projectionOps as Record<string, any>,
    query: { ...(queryOps as Record<string, any>), ...engineQueryOps },
    window: windowOps as Record<string, any>,
  });
}

let context: Context | undefined;

export function mingoContext(): Context {
  return (context ??= build());
}

/** A mingo Query with the engine's operator set. */
export function newQuery(condition: Doc): Query {
  return new Query(condition, { context: mingoContext() });
}

/** A mingo Aggregator with the engine's operator set. */
export function newAggregator(pipeline: Doc[], options: Partial<Options> = {}): Aggregator {
  return new Aggregator(pipeline, { ...options, context: mingoContext() });
}
