/**
 * What the ledger export asks of the eligibility engine, in one place: a determination per
 * household on the as-of date, which categories count households only, and the summary sentence.
 * The engine evaluates plain households and knows nothing of ledgers (DESIGN.md "Shape").
 */
import { evaluateHousehold, type Determination } from '../../eligibility/evaluate';
import { currentRules } from '../../eligibility/ruleset.loader';
import type { Household } from '../../registry/household.types';
import type { ExportSummary } from './summary.accumulator';

export type { Determination };

export async function evaluateForExport(household: Household, asOf: string): Promise<Determination> {
  return evaluateHousehold(household, asOf);
}

/** Categories whose rule counts no persons (产业扶贫, 扶贫小额贷款 in the default rules). */
export function householdsOnlyCategories(): ReadonlySet<string> {
  const rules = currentRules();
  const out = new Set<string>();
  for (const set of [rules.base, ...rules.extensions]) {
    for (const r of set.rules) if (r.kind === 'category' && r.persons === null) out.add(r.id);
  }
  return out;
}

/**
 * POLICY.md "The summary sentence": 「享受政策的贫困户共45户156人，其中享受兜底保障12户20人，…，
 * 产业扶贫21户，…。」 — one clause per category in the rules' order; households-only categories
 * give no person count.
 */
export function summarySentenceFor(summary: ExportSummary): string {
  const clauses = summary.categories.map((c) => (c.persons === null ? `${c.name}${c.households}户` : `${c.name}${c.households}户${c.persons}人`));
  return `享受政策的贫困户共${summary.households}户${summary.persons}人，其中享受${clauses.join('，')}。`;
}
