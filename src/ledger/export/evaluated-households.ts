/**
 * The households of an export, each with its determination on the as-of date, in code order.
 *
 * Evaluation is the slowest step of an export (json-rules-engine, PERF-NOTES.md), and writing
 * the workbook keeps this thread busy, so past the first thousand households the evaluation
 * moves to the eligibility engine's worker pool while this thread reads the cursor and writes
 * rows: batches go out in order, a few at a time, and come back to be written in order. Small
 * exports (a village) never pay for starting a worker.
 */
import { EvaluationPool } from '../../eligibility/evaluation.pool';
import { currentRules } from '../../eligibility/ruleset.loader';
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
  const { signal } = source;
  const workers = source.workers ?? 1;
  // One pool, started by whichever batch first needs it (batches are dispatched concurrently).
  let pool: Promise<EvaluationPool> | undefined;
  let seen = 0;
  const inFlight: { households: Household[]; determinations: Promise<Determination[]> }[] = [];

  // Batches evaluated in this thread run one after another: json-rules-engine keeps run state on
  // the Engine, and two runs in flight on one Engine corrupt each other's results (PERF-NOTES.md:
  // "concurrent runs on one Engine also share engine.status").
  let inlineChain: Promise<unknown> = Promise.resolve();
  const evaluateHere = (households: Household[]): Promise<Determination[]> => {
    const next = inlineChain.then(async () => {
      const out: Determination[] = [];
      for (const h of households) out.push(await evaluateForExport(h, source.asOf));
      return out;
    });
    inlineChain = next.catch(() => undefined);
    return next;
  };
  const evaluate = async (households: Household[]): Promise<Determination[]> => {
    if (source.evaluate === false) return [];
    if (!pool && (workers === 0 || seen <= (source.inline ?? INLINE_HOUSEHOLDS))) return evaluateHere(households);
    pool ??= EvaluationPool.start(workers, currentRules());
    const outputs = await (await pool).evaluate(source.asOf, households.map((household) => ({ household, duplicatePersonIds: [] })));
    return outputs.map((o) => o.determination);
  };
  const writeOldest = async () => {
    const batch = inFlight.shift();
    if (!batch) return;
    const determinations = await batch.determinations;
    for (let i = 0; i < batch.households.length; i++) {
      if (signal?.aborted) return;
      await handle(batch.households[i], (determinations[i] ?? null) as D);
    }
  };
  const dispatch = (households: Household[]) => {
    const determinations = evaluate(households);
    // Awaited in order by writeOldest; this keeps a batch that fails early from going unhandled.
    determinations.catch(() => undefined);
    inFlight.push({ households, determinations });
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
    await Promise.allSettled(inFlight.map((b) => b.determinations));
    if (pool) await pool.then((started) => started.close(), () => undefined);
  }
}
