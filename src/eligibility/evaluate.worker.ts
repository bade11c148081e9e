/**
 * A worker thread of an eligibility run or export (PERF-NOTES.md: two threads, one long-lived
 * Engine each). It loads the same rules folder itself and checks the hash, so it cannot evaluate
 * against rules other than those the run recorded.
 *
 * For a run over a large region it does a village's whole share itself: reads the village's
 * households through its own database connection, evaluates them and writes their results,
 * then answers with the summary counters only. The main thread serves the embedded database;
 * when it also decoded every household, cloned it to a worker and encoded every result, it was
 * the bottleneck of a run (a profile of a county run had it busy 98% of the wall time, the
 * database's own work a third of that).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import mongoose from 'mongoose';
import { householdCursor } from '../registry/household.service';
import type { Household } from '../registry/household.types';
import type { Actor } from '../users/actor';
import { runShared, storedResult, type RunShared, type StoredResult } from './determination.codec';
import { membersOf } from './facts/household.fact';
import { duplicatePersonIds, personIdsOf } from './facts/identity.fact';
import { ResultModel } from './run.model';
import { evaluateWithFacts, type Determination } from './evaluate';
import { EVALUATED_FIELDS } from './evaluated-fields';
import { householdFindings, type Finding } from './findings';
import { loadRuleSets, type LoadedRules } from './ruleset.loader';
import { reportedRules, SummaryBuilder, type RunSummary } from './summary';

export interface WorkItem { household: Household; duplicatePersonIds: string[] }
/** One village of a run: read, evaluated and stored by the worker (`evaluateVillage`). */
export interface VillageRequest {
  runId: string;
  village: string;
  /** The run's region prefix, whose reported categories the summary counters start from. */
  regionPrefix: string;
  /** The run's creator: the village's households are read within its scope. */
  actor: Actor;
}
/**
 * `village`: a village of a run; `count`: a batch of a ledger export, which only needs the 汇总
 * counters and, with a category filter, which households are in it; neither: determinations.
 */
export interface WorkRequest {
  id: number; asOf: string; items: WorkItem[];
  village?: VillageRequest;
  count?: { regionPrefix: string; category: string | null };
}
export interface WorkOutput { determination: Determination; findings: Finding[] }
export type SummaryCounters = Omit<RunSummary, 'sentence'>;
export interface RunBatchOutput { results: StoredResult[]; summary: SummaryCounters }
/** Per household, whether it passes the category filter (all do without one); counters of those that do. */
export interface CountBatchOutput { kept: boolean[]; summary: SummaryCounters }
/** A village done: how many households were stored, and their summary counters. */
export interface VillageOutput { stored: number; summary: SummaryCounters }
export interface WorkResponse { id: number; results?: WorkOutput[]; village?: VillageOutput; count?: CountBatchOutput; error?: string }

/** A batch of households evaluated, as determinations with their findings. */
export async function evaluateBatch(rules: LoadedRules, asOf: string, items: WorkItem[]): Promise<WorkOutput[]> {
  const out: WorkOutput[] = [];
  for (const item of items) {
    const { determination, facts } = await evaluateWithFacts(item.household, asOf, { rules, context: { duplicatePersonIds: item.duplicatePersonIds } });
    out.push({ determination, findings: householdFindings(item.household, determination, facts) });
  }
  return out;
}

/** A batch of a run: the results to store and the batch's summary counters. */
const sharedByRun = new WeakMap<LoadedRules, Map<string, RunShared>>();

/**
 * What the run recorded once when it was created (templates, rule set, its region's parameter
 * block), worked out again from the same rules (hash checked), date and region prefix.
 */
function sharedFor(rules: LoadedRules, asOf: string, regionPrefix: string): RunShared {
  let byRun = sharedByRun.get(rules);
  if (!byRun) sharedByRun.set(rules, (byRun = new Map()));
  const key = `${asOf}|${regionPrefix}`;
  let shared = byRun.get(key);
  if (!shared) {
    if (byRun.size > 100) byRun.clear();
    byRun.set(key, (shared = runShared(rules, regionPrefix, asOf)));
  }
  return shared;
}

export async function evaluateRunBatch(rules: LoadedRules, asOf: string, items: WorkItem[], regionPrefix: string): Promise<RunBatchOutput> {
  const summary = new SummaryBuilder(reportedRules(rules, regionPrefix, asOf));
  const shared = sharedFor(rules, asOf, regionPrefix);
  const results: StoredResult[] = [];
  for (const item of items) {
    const { determination, facts } = await evaluateWithFacts(item.household, asOf, { rules, context: { duplicatePersonIds: item.duplicatePersonIds } });
    summary.add(determination);
    results.push(storedResult(determination, householdFindings(item.household, determination, facts), shared));
  }
  const { sentence: _sentence, ...counters } = summary.result();
  return { results, summary: counters };
}

/**
 * The household's persons already in `seen` (households before it in the run, in code order) or
 * twice in itself; adds its persons to `seen`.
 */
export function duplicatesSeen(household: Household, seen: Set<string>): string[] {
  const personIds = personIdsOf(membersOf(household));
  const duplicates = duplicatePersonIds(personIds, seen);
  for (const pid of personIds) if (pid) seen.add(pid);
  return duplicates;
}

/**
 * A stored result as inserted: `_id` first, so that the embedded engine stores the bytes it was
 * sent as they are, where an id the driver appends last makes it decode and encode every
 * result again.
 */
export function resultDocument(runId: mongoose.Types.ObjectId, result: StoredResult): Record<string, unknown> {
  return { _id: new mongoose.Types.ObjectId(), runId, ...result };
}

/** Households per insert of results. */
const RESULT_BATCH = 250;

/**
 * A village of a run, start to end, in this thread: its households in code order from the
 * database, their results written in batches, the counters returned. Duplicate persons are
 * looked for across the village's households here; across villages the registry's unique index
 * on the members' person ids (household.model.ts) already keeps a person in one household.
 */
export async function evaluateVillage(rules: LoadedRules, asOf: string, request: VillageRequest): Promise<VillageOutput> {
  const summary = new SummaryBuilder(reportedRules(rules, request.regionPrefix, asOf));
  const shared = sharedFor(rules, asOf, request.regionPrefix);
  const runId = new mongoose.Types.ObjectId(request.runId);
  const seen = new Set<string>();
  let docs: Record<string, unknown>[] = [];
  let stored = 0;
  // One insert in flight while the next batch is evaluated: waiting for each insert left this
  // thread idle while the database thread wrote (the cores were 89% busy over a county run).
  // A failed insert is kept and thrown by the next flush, so it is never an unhandled rejection.
  let inFlight: Promise<void> = Promise.resolve();
  let failure: unknown;
  const flush = async () => {
    await inFlight;
    if (failure !== undefined) throw failure;
    if (docs.length === 0) return;
    const batch = docs;
    docs = [];
    inFlight = ResultModel.collection.insertMany(batch, { ordered: false }).then(
      () => void (stored += batch.length),
      (err: unknown) => void (failure = err),
    );
  };
  for await (const household of householdCursor(request.actor, { regionCode: request.village }, { fields: EVALUATED_FIELDS })) {
    const { determination, facts } = await evaluateWithFacts(household, asOf, { rules, context: { duplicatePersonIds: duplicatesSeen(household, seen) } });
    summary.add(determination);
    docs.push(resultDocument(runId, storedResult(determination, householdFindings(household, determination, facts), shared)));
    if (docs.length >= RESULT_BATCH) await flush();
  }
  await flush();
  await flush(); // the last batch's insert
  const { sentence: _sentence, ...counters } = summary.result();
  return { stored, summary: counters };
}

/**
 * This worker's own connection, opened by its first village: the same database as the service
 * (`databaseUri`), no index builds (the service made them). It only reads households and writes
 * results, so the driver does not re-validate the UTF-8 of every string it decodes (up to a
 * fifth of decoding a household in a micro-benchmark, 40–50 µs each): the text was valid when
 * it was written, and a name with a damaged character decides nothing here.
 */
let connecting: Promise<unknown> | undefined;
function connected(uri: string | undefined): Promise<unknown> {
  if (!uri) return Promise.reject(new Error('this worker has no database address'));
  connecting ??= mongoose.connect(uri, { serverSelectionTimeoutMS: 2000, autoIndex: false, autoCreate: false, maxPoolSize: 2, enableUtf8Validation: false });
  return connecting;
}

/** A batch of a ledger export: which households pass `category` (null: all), and their counters. */
export async function evaluateCountBatch(rules: LoadedRules, asOf: string, items: WorkItem[], regionPrefix: string, category: string | null): Promise<CountBatchOutput> {
  const summary = new SummaryBuilder(reportedRules(rules, regionPrefix, asOf));
  const kept: boolean[] = [];
  for (const item of items) {
    const { determination } = await evaluateWithFacts(item.household, asOf, { rules, context: { duplicatePersonIds: item.duplicatePersonIds } });
    const keep = category === null || determination.categories.some((c) => c.id === category && c.status === 'eligible');
    if (keep) summary.add(determination);
    kept.push(keep);
  }
  const { sentence: _sentence, ...counters } = summary.result();
  return { kept, summary: counters };
}

/** How much less urgent a worker makes itself than the thread that started it (nice, 0–19). */
export const WORKER_NICENESS = 10;

/**
 * Runs and exports are background work: a worker lowers its own scheduling priority by
 * `WORKER_NICENESS`, so that the main thread, which serves the API and the embedded database
 * the workers read their households from, runs first whenever it has something to do. With
 * three busy threads on two cores, the workers had waited on it: over eight 100k-household runs
 * the cores were busy 1.80–1.83 of 2 with it and 1.73–1.77 without. Linux names a thread's id in
 * /proc/thread-self (setpriority then applies to that thread alone); elsewhere, or when refused,
 * the worker keeps the priority it has. Returns the niceness set, or undefined.
 */
export function lowerThisThreadsPriority(by = WORKER_NICENESS): number | undefined {
  try {
    const tid = Number(path.basename(fs.readlinkSync('/proc/thread-self')));
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    const nice = Math.min(19, os.getPriority(tid) + by);
    os.setPriority(tid, nice);
    return nice;
  } catch {
    return undefined;
  }
}

if (parentPort && workerData?.rulesDir) {
  const port = parentPort;
  lowerThisThreadsPriority();
  const { rulesDir, hash, databaseUri } = workerData as { rulesDir: string; hash: string; databaseUri?: string };
  const rules = loadRuleSets(rulesDir);
  if (rules.hash !== hash) throw new Error(`the rules changed on disk since the run started (hash ${rules.hash} ≠ ${hash})`);

  port.on('message', async (request: WorkRequest | 'close') => {
    if (request === 'close') {
      // Closing its connection lets the thread end by itself (and the database see a clean goodbye).
      if (connecting) await connecting.then(() => mongoose.disconnect(), () => undefined);
      port.close();
      return;
    }
    try {
      if (request.count) {
        port.postMessage({ id: request.id, count: await evaluateCountBatch(rules, request.asOf, request.items, request.count.regionPrefix, request.count.category) } satisfies WorkResponse);
      } else if (request.village) {
        await connected(databaseUri);
        port.postMessage({ id: request.id, village: await evaluateVillage(rules, request.asOf, request.village) } satisfies WorkResponse);
      } else {
        port.postMessage({ id: request.id, results: await evaluateBatch(rules, request.asOf, request.items) } satisfies WorkResponse);
      }
    } catch (err) {
      port.postMessage({ id: request.id, error: err instanceof Error ? err.message : String(err) } satisfies WorkResponse);
    }
  });
}
