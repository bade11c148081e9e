/**
 * A worker thread of an eligibility run or export (PERF-NOTES.md: two threads, one long-lived
 * Engine each). It loads the same rules folder itself and checks the hash, so it cannot evaluate
 * against rules other than those the run recorded.
 *
 * For a run it answers with what the main thread stores, not with determinations: the stored
 * result of each household (determination.codec.ts) and the batch's summary counters. The main
 * thread also serves the embedded database; every structured-clone of a determination, every
 * compaction and JSON encoding it no longer does is time the database gets (a profile of a
 * county run had the main thread busy 98% of the wall time).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Household } from '../registry/household.types';
import { runTemplates, storedResult, transferables, type ConditionTemplates, type StoredResult } from './determination.codec';
import { evaluateWithFacts, type Determination } from './evaluate';
import { householdFindings, type Finding } from './findings';
import { loadRuleSets, type LoadedRules } from './ruleset.loader';
import { reportedRules, SummaryBuilder, type RunSummary } from './summary';

export interface WorkItem { household: Household; duplicatePersonIds: string[] }
/**
 * `run`: a batch of a run (the region prefix whose reported categories the summary counters start
 * from); `count`: a batch of a ledger export, which only needs the 汇总 counters and, with a
 * category filter, which households are in it.
 */
export interface WorkRequest {
  id: number; asOf: string; items: WorkItem[];
  run?: { regionPrefix: string };
  count?: { regionPrefix: string; category: string | null };
}
export interface WorkOutput { determination: Determination; findings: Finding[] }
export type SummaryCounters = Omit<RunSummary, 'sentence'>;
export interface RunBatchOutput { results: StoredResult[]; summary: SummaryCounters }
/** Per household, whether it passes the category filter (all do without one); counters of those that do. */
export interface CountBatchOutput { kept: boolean[]; summary: SummaryCounters }
export interface WorkResponse { id: number; results?: WorkOutput[]; run?: RunBatchOutput; count?: CountBatchOutput; error?: string }

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
const templatesByDate = new WeakMap<LoadedRules, Map<string, ConditionTemplates>>();

/** The same templates the run recorded when it was created: the same rules (hash checked), the same date. */
function templatesFor(rules: LoadedRules, asOf: string): ConditionTemplates {
  let byDate = templatesByDate.get(rules);
  if (!byDate) templatesByDate.set(rules, (byDate = new Map()));
  let templates = byDate.get(asOf);
  if (!templates) byDate.set(asOf, (templates = runTemplates(rules, asOf)));
  return templates;
}

export async function evaluateRunBatch(rules: LoadedRules, asOf: string, items: WorkItem[], regionPrefix: string): Promise<RunBatchOutput> {
  const summary = new SummaryBuilder(reportedRules(rules, regionPrefix, asOf));
  const templates = templatesFor(rules, asOf);
  const results: StoredResult[] = [];
  for (const item of items) {
    const { determination, facts } = await evaluateWithFacts(item.household, asOf, { rules, context: { duplicatePersonIds: item.duplicatePersonIds } });
    summary.add(determination);
    results.push(storedResult(determination, householdFindings(item.household, determination, facts), templates));
  }
  const { sentence: _sentence, ...counters } = summary.result();
  return { results, summary: counters };
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

if (parentPort && workerData?.rulesDir) {
  const port = parentPort;
  const { rulesDir, hash } = workerData as { rulesDir: string; hash: string };
  const rules = loadRuleSets(rulesDir);
  if (rules.hash !== hash) throw new Error(`the rules changed on disk since the run started (hash ${rules.hash} ≠ ${hash})`);

  port.on('message', async (request: WorkRequest) => {
    try {
      if (request.count) {
        port.postMessage({ id: request.id, count: await evaluateCountBatch(rules, request.asOf, request.items, request.count.regionPrefix, request.count.category) } satisfies WorkResponse);
      } else if (request.run) {
        const run = await evaluateRunBatch(rules, request.asOf, request.items, request.run.regionPrefix);
        port.postMessage({ id: request.id, run } satisfies WorkResponse, transferables(run.results));
      } else {
        port.postMessage({ id: request.id, results: await evaluateBatch(rules, request.asOf, request.items) } satisfies WorkResponse);
      }
    } catch (err) {
      port.postMessage({ id: request.id, error: err instanceof Error ? err.message : String(err) } satisfies WorkResponse);
    }
  });
}
