/**
 * What the ledger export asks of the eligibility engine, in one place: a determination per
 * household on the as-of date, the run-summary counters for the 汇总 sheet, and which categories
 * count households only. The engine evaluates plain households and knows nothing of ledgers
 * (DESIGN.md "Shape").
 */
import { evaluateHousehold, type Determination } from '../../eligibility/evaluate';
import { currentRules } from '../../eligibility/ruleset.loader';
import { reportedRules, SummaryBuilder } from '../../eligibility/summary';
import { regionPrefix } from '../../regions/region-code';
import type { Household } from '../../registry/household.types';

export type { Determination };
export type { RunSummary } from '../../eligibility/summary';

export async function evaluateForExport(household: Household, asOf: string): Promise<Determination> {
  return evaluateHousehold(household, asOf);
}

/**
 * The same counters and sentence as an eligibility run over the region (POLICY.md "The summary
 * sentence"), fed one determination at a time: flat memory.
 */
export function summaryBuilderFor(region: string, asOf: string): SummaryBuilder {
  return new SummaryBuilder(reportedRules(currentRules(), regionPrefix(region), asOf));
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
