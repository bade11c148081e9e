/**
 * A worker thread of an eligibility run (PERF-NOTES.md: two threads, one long-lived Engine each).
 * It loads the same rules folder itself and checks the hash, so it cannot evaluate against rules
 * other than those the run recorded.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Household } from '../registry/household.types';
import { evaluateWithFacts } from './evaluate';
import { householdFindings } from './findings';
import { loadRuleSets } from './ruleset.loader';

export interface WorkItem { household: Household; duplicatePersonIds: string[] }
export interface WorkRequest { id: number; asOf: string; items: WorkItem[] }
export interface WorkResponse { id: number; results?: WorkOutput[]; error?: string }
export interface WorkOutput { determination: import('./evaluate').Determination; findings: import('./findings').Finding[] }

const { rulesDir, hash } = workerData as { rulesDir: string; hash: string };
const rules = loadRuleSets(rulesDir);
if (rules.hash !== hash) throw new Error(`the rules changed on disk since the run started (hash ${rules.hash} ≠ ${hash})`);

parentPort!.on('message', async (request: WorkRequest) => {
  try {
    const results: WorkOutput[] = [];
    for (const item of request.items) {
      const { determination, facts } = await evaluateWithFacts(item.household, request.asOf, { rules, context: { duplicatePersonIds: item.duplicatePersonIds } });
      results.push({ determination, findings: householdFindings(item.household, determination, facts) });
    }
    parentPort!.postMessage({ id: request.id, results } satisfies WorkResponse);
  } catch (err) {
    parentPort!.postMessage({ id: request.id, error: err instanceof Error ? err.message : String(err) } satisfies WorkResponse);
  }
});
