/**
 * A stored determination keeps every condition, but as a tuple: a run stores one per household
 * (PERF-NOTES.md: 3.7 KB each serialised even before our explanations), and the parameter's
 * effective date and region repeat what `determination.parameters` already says. Reading a
 * result expands it back to the determination JSON of DESIGN.md, losslessly.
 */
import type { ConditionResult, Determination } from './evaluate';

/** [fact, operator, factValue, value, result, parameter name or null] */
export type StoredCondition = [string, string, unknown, unknown, boolean | null, string | null];

type WithConditions = { conditions: ConditionResult[] };
type Stored<T> = Omit<T, 'conditions'> & { conditions: StoredCondition[] };

export type StoredDetermination = Omit<Determination, 'categories' | 'checks' | 'dataChecks' | 'monitoringCandidate'> & {
  categories: Stored<Determination['categories'][number]>[];
  checks: Stored<Determination['checks'][number]>[];
  dataChecks: Stored<Determination['dataChecks'][number]>[];
  monitoringCandidate: Stored<Determination['monitoringCandidate']>;
};

function pack<T extends WithConditions>(x: T): Stored<T> {
  return { ...x, conditions: x.conditions.map((c) => [c.fact, c.operator, c.factValue, c.value, c.result, c.parameter?.name ?? null]) };
}

export function compactDetermination(d: Determination): StoredDetermination {
  return {
    ...d,
    categories: d.categories.map(pack),
    checks: d.checks.map(pack),
    dataChecks: d.dataChecks.map(pack),
    monitoringCandidate: pack(d.monitoringCandidate),
  };
}

export function expandDetermination(s: StoredDetermination): Determination {
  const unpack = <T extends WithConditions>(x: Stored<T>): T => ({
    ...x,
    conditions: x.conditions.map(([fact, operator, factValue, value, result, name]) => {
      const p = name === null ? undefined : s.parameters[name];
      return { fact, operator, factValue, value, parameter: p ? { name: name!, effectiveFrom: p.effectiveFrom, region: p.region } : null, result };
    }),
  }) as unknown as T;
  return {
    ...s,
    categories: s.categories.map(unpack),
    checks: s.checks.map(unpack),
    dataChecks: s.dataChecks.map(unpack),
    monitoringCandidate: unpack(s.monitoringCandidate),
  } as Determination;
}
