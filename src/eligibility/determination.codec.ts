/**
 * A stored determination keeps every condition, compacted, because a run stores one per household
 * and the embedded engine keeps every stored document in memory (src/embedded-mongo/collection.ts):
 *
 * - a condition is a tuple; its parameter's effective date and region repeat what
 *   `determination.parameters` already says;
 * - names (兜底保障 …) come from the run's table of rule names, and a failing data check's reason
 *   from the household's findings, which are stored beside it. What is left is ASCII, which V8
 *   keeps at one byte a character instead of two.
 *
 * Reading a result expands it back to the determination JSON of DESIGN.md, losslessly.
 */
import type { ConditionResult, Determination } from './evaluate';
import type { Finding } from './findings';
import type { LoadedRules } from './ruleset.loader';

/** [fact, operator, factValue, value, result, parameter name or null] */
export type StoredCondition = [string, string, unknown, unknown, boolean | null, string | null];

type Compact<T> = Omit<T, 'conditions' | 'name' | 'reason'> & { conditions: StoredCondition[] };

export type StoredDetermination = Omit<Determination, 'categories' | 'checks' | 'dataChecks' | 'monitoringCandidate'> & {
  categories: (Omit<Compact<Determination['categories'][number]>, 'subBenefits'> & { subBenefits: Omit<Determination['categories'][number]['subBenefits'][number], 'name'>[] })[];
  checks: Compact<Determination['checks'][number]>[];
  dataChecks: Compact<Determination['dataChecks'][number]>[];
  monitoringCandidate: Compact<Determination['monitoringCandidate']>;
};

/**
 * One household's stored result of a run, without the run id: built where the household was
 * evaluated (a worker thread), so the run's main thread, which also serves the embedded
 * database, only adds the run id and inserts.
 *
 * The determination and the findings are JSON, stored as UTF-8 bytes (BSON binary): nothing
 * queries inside them (the `categories` and `findingTypes` filters do). Nested documents were
 * most of a county run's BSON work; as text, decoding the 3–4 KB string of every inserted result
 * was still 9% of the main thread's profile, where bytes are copied as they are. Each is its own
 * ArrayBuffer (TextEncoder), so a worker hands them over without copying (`transferables`).
 */
export interface StoredResult {
  householdCode: string;
  regionCode: string | null;
  inPolicy: boolean | null;
  categories: string[];
  findingTypes: string[];
  determination: Uint8Array;
  findings: Uint8Array;
}

const utf8 = new TextEncoder();

export function storedResult(d: Determination, findings: Finding[]): StoredResult {
  return {
    householdCode: d.householdCode ?? '', regionCode: d.regionCode, inPolicy: d.inPolicy,
    categories: d.categories.filter((c) => c.status === 'eligible').map((c) => c.id),
    findingTypes: [...new Set(findings.map((f) => f.type))],
    determination: utf8.encode(JSON.stringify(compactDetermination(d))),
    findings: utf8.encode(JSON.stringify(findings)),
  };
}

/** The buffers a worker transfers with a batch of stored results. */
export function transferables(results: StoredResult[]): ArrayBuffer[] {
  return results.flatMap((r) => [r.determination.buffer as ArrayBuffer, r.findings.buffer as ArrayBuffer]);
}

/** JSON read back from a stored field: bytes (a BSON binary or a Buffer) or, stored earlier, text. */
function storedJson(stored: unknown): unknown {
  if (typeof stored === 'string') return JSON.parse(stored);
  if (stored instanceof Uint8Array) return JSON.parse(Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).toString('utf8'));
  const bytes = (stored as { buffer?: unknown } | null)?.buffer; // a BSON Binary
  if (bytes instanceof Uint8Array) return storedJson(bytes);
  return stored;
}

/** The compacted determination of a stored result. */
export function storedDetermination(stored: unknown): StoredDetermination {
  return storedJson(stored) as StoredDetermination;
}

/** The findings of a stored result (results stored before they were JSON: the array itself). */
export function storedFindings(stored: unknown): Finding[] {
  const findings = storedJson(stored);
  return Array.isArray(findings) ? (findings as Finding[]) : [];
}

/** Rule, sub-benefit and monitoring-type id → name, for every rule of the loaded sets. */
export function ruleNames(rules: LoadedRules): Record<string, string> {
  const names: Record<string, string> = {};
  for (const rule of [rules.base, ...rules.extensions].flatMap((s) => s.rules)) {
    names[rule.id] = rule.name;
    for (const s of rule.subBenefits) names[s.id] = s.name;
  }
  return names;
}

function packConditions(conditions: ConditionResult[]): StoredCondition[] {
  return conditions.map((c) => [c.fact, c.operator, c.factValue, c.value, c.result, c.parameter?.name ?? null]);
}

export function compactDetermination(d: Determination): StoredDetermination {
  const pack = <T extends { conditions: ConditionResult[]; name?: string; reason?: string | null }>({ name: _n, reason: _r, conditions, ...rest }: T) =>
    ({ ...rest, conditions: packConditions(conditions) });
  return {
    ...d,
    categories: d.categories.map(({ subBenefits, ...c }) => ({ ...pack(c), subBenefits: subBenefits.map(({ name: _n, ...s }) => s) })),
    checks: d.checks.map(pack),
    dataChecks: d.dataChecks.map(pack),
    monitoringCandidate: pack(d.monitoringCandidate),
  } as StoredDetermination;
}

export function expandDetermination(s: StoredDetermination, names: Record<string, string>, findings: Finding[]): Determination {
  const conditions = (stored: StoredCondition[]): ConditionResult[] => stored.map(([fact, operator, factValue, value, result, name]) => {
    const p = name === null ? undefined : s.parameters[name];
    return { fact, operator, factValue, value, parameter: p ? { name: name!, effectiveFrom: p.effectiveFrom, region: p.region } : null, result };
  });
  const name = (id: string) => names[id] ?? id;
  const { conditions: mc, ...monitoring } = s.monitoringCandidate;
  return {
    ...s,
    categories: s.categories.map(({ id, conditions: cc, subBenefits, ...c }) => ({
      id, name: name(id), ...c, conditions: conditions(cc), subBenefits: subBenefits.map(({ id: b, ...rest }) => ({ id: b, name: name(b), ...rest })),
    })),
    checks: s.checks.map(({ id, conditions: cc, ...c }) => ({ id, name: name(id), ...c, conditions: conditions(cc) })),
    dataChecks: s.dataChecks.map(({ id, conditions: cc, ...c }) => ({
      id, name: name(id), ...c, conditions: conditions(cc),
      reason: c.status === 'fail' ? (findings.find((f) => f.type === id)?.reason ?? name(id)) : null,
    })),
    monitoringCandidate: { ...monitoring, conditions: conditions(mc) },
  } as Determination;
}
