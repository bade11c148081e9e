/**
 * Income facts (POLICY.md "Words": net income, per-capita net income).
 */

/** The income components, then the production costs that are taken off them. */
const FIELDS = ['wage', 'business', 'transfer', 'property', 'productionCost'] as const;

function amount(value: unknown): number | null | undefined {
  if (value === null || value === undefined) return null;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * 家庭纯收入 = wage + business + transfer + property − production costs, yuan per year.
 * Ledgers leave a blank where a component is nothing, so a blank component counts as 0 as long as
 * one component is recorded; with no component recorded the income is unknown (undefined), and
 * an odd-typed component (text, NaN) makes it unknown too rather than guessing.
 */
export function netIncome(income: unknown): number | undefined {
  if (income === null || typeof income !== 'object') return undefined;
  const record = income as Record<string, unknown>;
  let recorded = false;
  let total = 0;
  for (const key of FIELDS) {
    const value = amount(record[key]);
    if (value === undefined) return undefined;
    if (value === null) continue;
    recorded = true;
    total += key === 'productionCost' ? -value : value;
  }
  return recorded ? total : undefined;
}

/**
 * 人均纯收入. A ledger that gives only the per-capita figure has it used as given (POLICY.md);
 * otherwise net income ÷ member count, unknown without income or without members.
 */
export function perCapitaNetIncome(givenPerCapita: unknown, net: number | undefined, memberCount: number): number | undefined {
  const given = amount(givenPerCapita);
  if (typeof given === 'number') return given;
  if (net === undefined || memberCount <= 0) return undefined;
  return net / memberCount;
}

/**
 * The household's net income for the medical-burden test when only the per-capita figure was
 * given: per-capita × members.
 */
export function householdNetIncome(net: number | undefined, perCapita: number | undefined, memberCount: number): number | undefined {
  if (net !== undefined) return net;
  if (perCapita === undefined || memberCount <= 0) return undefined;
  return perCapita * memberCount;
}

/**
 * Out-of-pocket medical spending as a share of net income, compared with `medicalBurdenRatio`
 * (POLICY.md "Monitoring screening": spending > ratio × net income). With no positive net income
 * the division means nothing, so the income is taken as 1 yuan: any spending of a yuan or more
 * then exceeds every ratio below 1, which is what "spending > ratio × income" says for such a
 * household. Unknown when either figure is unknown.
 */
export function medicalBurden(outOfPocket: unknown, net: number | undefined): number | undefined {
  const spent = amount(outOfPocket);
  if (typeof spent !== 'number' || net === undefined) return undefined;
  return spent / Math.max(net, 1);
}
