/**
 * The households of an export, each with its determination on the as-of date, in code order.
 *
 * Evaluation is the slowest step of an export (json-rules-engine, PERF-NOTES.md), and writing
 * the workbook keeps this thread busy, so past the first thousand households the evaluation
 * moves to the eligibility engine's worker pool while this thread reads the cursor and writes
 * rows: batches go out in order, a few at a time, and come back to be written in order. Small
 * exports (a village) never pay for starting a worker. A ledger that needs only the 汇总
 * counters (and a category filter) gets those back instead of determinations (`forEachCounted`).
 */
import { EvaluationPool } from '../../eligibility/evaluation.pool';
import { evaluateCountBatch, type CountBatchOutput } from '../../eligibility/evaluate.worker';
import { currentRules } from '../../eligibility/ruleset.loader';
import type { SummaryBuilder } from '../../eligibility/summary';
import { regionPrefix } from '../../regions/region-code';
import { householdCursor } from '../../registry/household.service';
import type { Household } from '../../registry/household.types';
import type { Actor } from '../../users/actor';
import { evaluateForExport, type Determination } from './eligibility.port';

/** Households evaluated in this thread before the worker starts. */
const INLINE_HOUSEHOLDS = 1000;
const BATCH = 50;
const MAX_IN_FLIGHT = 4;

export interface EvaluatedSource {
  actor: Actor;
  region: string;
  status?: string;
  asOf: string;
  signal?: AbortSignal;
  /** Worker threads for evaluation past the first households (default 1; 0 keeps it here). */
  workers?: number;
  /** Households evaluated here before the workers start (default 1000). */
  inline?: number;
  /** False when nothing needs the determinations (a CSV without a category filter). */
  evaluate?: boolean;
}

/**
 * Calls `handle` for each household in code order, with its determination (null when
 * `evaluate` is false); false when the signal stopped it early.
 */
export async function forEachEvaluated<D extends Determination | null = Determination>(source: EvaluatedSource, handle: (h: Household, d: D) => void | Promise<void>): Promise<boolean> {
  return forEachBatch<Determination>(source, {
    here: (households) => evaluateHere(households, source.asOf),
    pooled: async (pool, households) => (await pool.evaluate(source.asOf, households.map((household) => ({ household, duplicatePersonIds: [] })))).map((o) => o.determination),
  }, (h, d) => handle(h, (d ?? null) as D));
}

/**
 * For a ledger whose only use of the rules is its 汇总 sheet (and an optional category filter):
 * calls `handle` in code order for each household that passes `category` (all without one) and
 * adds the counters of those households to `summary`. The worker threads send back a flag per
 * household and the batch's counters instead of determinations: structured-cloning a
 * determination each way was the export thread's largest cost after writing rows.
 */
export async function forEachCounted(source: EvaluatedSource, counted: { summary: SummaryBuilder; category: string | null }, handle: (h: Household) => void | Promise<void>): Promise<boolean> {
  const prefix = regionPrefix(source.region);
  const rules = currentRules();
  const merge = (out: CountBatchOutput) => {
    counted.summary.merge(out.summary);
    return out.kept;
  };
  return forEachBatch<boolean>(source, {
    here: (households) => serially(() => evaluateCountBatch(rules, source.asOf, households.map((household) => ({ household, duplicatePersonIds: [] })), prefix, counted.category)).then(merge),
    pooled: async (pool, households) => merge(await pool.evaluateForCount(source.asOf, households.map((household) => ({ household, duplicatePersonIds: [] })), prefix, counted.category)),
  }, async (h, kept) => {
    if (kept) await handle(h);
  });
}

// Batches evaluated in this thread run one after another: json-rules-engine keeps run state on
// the Engine, and two runs in flight on one Engine corrupt each other's results (PERF-NOTES.md:
// "concurrent runs on one Engine also share engine.status").
let inlineChain: Promise<unknown> = Promise.resolve();
function serially<T>(work: () => Promise<T>): Promise<T> {
  const next = inlineChain.then(work, work);
  inlineChain = next.catch(() => undefined);
  return next;
}

function evaluateHere(households: Household[], asOf: string): Promise<Determination[]> {
  return serially(async () => {
    const out: Determination[] = [];
    for (const h of households) out.push(await evaluateForExport(h, asOf));
    return out;
  });
}

interface BatchEvaluator<T> {
  here(households: Household[]): Promise<T[]>;
  pooled(pool: EvaluationPool, households: Household[]): Promise<T[]>;
}

/** The cursor, the batches in flight and the pool, whatever each household is evaluated into. */
async function forEachBatch<T>(source: EvaluatedSource, evaluator: BatchEvaluator<T>, handle: (h: Household, value: T | undefined) => void | Promise<void>): Promise<boolean> {
  const { signal } = source;
  const workers = source.workers ?? 1;
  // One pool, started by whichever batch first needs it (batches are dispatched concurrently).
  let pool: Promise<EvaluationPool> | undefined;
  let seen = 0;
  const inFlight: { households: Household[]; values: Promise<T[]> }[] = [];

  const evaluate = async (households: Household[]): Promise<T[]> => {
    if (source.evaluate === false) return [];
    if (!pool && (workers === 0 || seen <= (source.inline ?? INLINE_HOUSEHOLDS))) return evaluator.here(households);
    pool ??= EvaluationPool.start(workers, currentRules());
    return evaluator.pooled(await pool, households);
  };
  const writeOldest = async () => {
    const batch = inFlight.shift();
    if (!batch) return;
    const values = await batch.values;
    for (let i = 0; i < batch.households.length; i++) {
      if (signal?.aborted) return;
      await handle(batch.households[i], values[i]);
    }
  };
  const dispatch = (households: Household[]) => {
    const values = evaluate(households);
    // Awaited in order by writeOldest; this keeps a batch that fails early from going unhandled.
    values.catch(() => undefined);
    inFlight.push({ households, values });
  };

  try {
    let batch: Household[] = [];
    for await (const household of householdCursor(source.actor, { regionCode: source.region, status: source.status ? [source.status] : undefined })) {
      if (signal?.aborted) break;
      seen++;
      batch.push(household);
      if (batch.length >= BATCH) {
        dispatch(batch);
        batch = [];
        while (inFlight.length >= MAX_IN_FLIGHT) await writeOldest();
      }
    }
    if (signal?.aborted) return false;
    if (batch.length > 0) dispatch(batch);
    while (inFlight.length > 0) {
      if (signal?.aborted) return false;
      await writeOldest();
    }
    return !signal?.aborted;
  } finally {
    await Promise.allSettled(inFlight.map((b) => b.values));
    if (pool) await pool.then((started) => started.close(), () => undefined);
  }
}
