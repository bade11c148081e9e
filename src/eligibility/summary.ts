/**
 * The run summary (DESIGN.md runs API; POLICY.md "The summary sentence"), built incrementally
 * from one determination at a time so a county run holds counters, not determinations.
 */
import type { Determination } from './evaluate';
import { rulesInForce, type LoadedRules } from './ruleset.loader';

export interface SummaryCategory {
  id: string;
  name: string;
  households: number;
  /** null for a category that counts households only (户). */
  persons: number | null;
  /** Households whose membership could not be decided (a fact missing). */
  undetermined: number;
}

export interface RunSummary {
  /** In-policy households (享受政策的贫困户) and their members. */
  households: number;
  persons: number;
  /** Every household evaluated, in policy or not. */
  evaluated: number;
  categories: SummaryCategory[];
  checks: { id: string; name: string; failing: number; undetermined: number }[];
  monitoringCandidates: { unstable: number; marginal: number; sudden: number; undetermined: number };
  sentence: string;
}

/**
 * 「享受政策的贫困户共45户156人，其中享受兜底保障12户20人，…，产业扶贫21户，…。」 exactly as
 * POLICY.md writes it: one clause per category in order; households-only categories give no
 * person count.
 */
export function summarySentence(summary: Pick<RunSummary, 'households' | 'persons' | 'categories'>): string {
  const head = `享受政策的贫困户共${summary.households}户${summary.persons}人`;
  if (summary.categories.length === 0) return `${head}。`;
  const clauses = summary.categories.map((c) => `${c.name}${c.households}户${c.persons === null ? '' : `${c.persons}人`}`);
  return `${head}，其中享受${clauses.join('，')}。`;
}

interface Slot { id: string; name: string; countsPersons: boolean }

/**
 * The categories and checks a run reports, in POLICY.md's order: the base rule set's in force on
 * the date, then those of additions whose region overlaps the run's.
 */
export function reportedRules(rules: LoadedRules, regionPrefix: string, asOf: string): { categories: Slot[]; checks: { id: string; name: string }[] } {
  const sets = [rules.base, ...rules.extensions.filter((s) => s.appliesTo!.some((p) => p.startsWith(regionPrefix) || regionPrefix.startsWith(p)))];
  const inForce = sets.flatMap((s) => rulesInForce(s, asOf));
  return {
    categories: inForce.filter((r) => r.kind === 'category').map((r) => ({ id: r.id, name: r.name, countsPersons: r.persons !== null })),
    checks: inForce.filter((r) => r.kind === 'check').map((r) => ({ id: r.id, name: r.name })),
  };
}

export class SummaryBuilder {
  private households = 0;
  private persons = 0;
  private evaluated = 0;
  private readonly categories: Map<string, SummaryCategory>;
  private readonly checks: Map<string, { id: string; name: string; failing: number; undetermined: number }>;
  private readonly monitoring = { unstable: 0, marginal: 0, sudden: 0, undetermined: 0 };

  constructor(slots: ReturnType<typeof reportedRules>) {
    this.categories = new Map(slots.categories.map((c) => [c.id, { id: c.id, name: c.name, households: 0, persons: c.countsPersons ? 0 : null, undetermined: 0 }]));
    this.checks = new Map(slots.checks.map((c) => [c.id, { id: c.id, name: c.name, failing: 0, undetermined: 0 }]));
  }

  add(d: Determination): void {
    this.evaluated++;
    if (d.inPolicy === true) {
      this.households++;
      this.persons += d.memberCount;
    }
    for (const c of d.categories) {
      let slot = this.categories.get(c.id);
      if (!slot) {
        // A category the run's region did not announce (an addition for a sub-region): report it after the rest.
        slot = { id: c.id, name: c.name, households: 0, persons: c.persons === null && c.status === 'eligible' ? null : 0, undetermined: 0 };
        this.categories.set(c.id, slot);
      }
      if (c.status === 'eligible') {
        slot.households++;
        if (slot.persons !== null && c.persons !== null) slot.persons += c.persons;
      } else if (c.status === 'undetermined') slot.undetermined++;
    }
    for (const c of d.checks) {
      let slot = this.checks.get(c.id);
      if (!slot) this.checks.set(c.id, (slot = { id: c.id, name: c.name, failing: 0, undetermined: 0 }));
      if (c.status === 'fail') slot.failing++;
      else if (c.status === 'undetermined') slot.undetermined++;
    }
    const m = d.monitoringCandidate;
    if (m.candidate === true && m.type) this.monitoring[m.type]++;
    else if (m.status === 'undetermined' || (m.candidate === true && !m.type)) this.monitoring.undetermined++;
  }

  /**
   * Adds the counters of another builder's `result()`: a run's worker threads each count their
   * own batches and send the counters, not the determinations (evaluation.pool.ts).
   */
  merge(part: Omit<RunSummary, 'sentence'>): void {
    this.evaluated += part.evaluated;
    this.households += part.households;
    this.persons += part.persons;
    for (const c of part.categories) {
      const slot = this.categories.get(c.id);
      if (!slot) {
        this.categories.set(c.id, { ...c });
        continue;
      }
      slot.households += c.households;
      slot.undetermined += c.undetermined;
      if (slot.persons !== null && c.persons !== null) slot.persons += c.persons;
    }
    for (const c of part.checks) {
      const slot = this.checks.get(c.id);
      if (!slot) this.checks.set(c.id, { ...c });
      else {
        slot.failing += c.failing;
        slot.undetermined += c.undetermined;
      }
    }
    for (const k of ['unstable', 'marginal', 'sudden', 'undetermined'] as const) this.monitoring[k] += part.monitoringCandidates[k];
  }

  result(): RunSummary {
    const summary = {
      households: this.households,
      persons: this.persons,
      evaluated: this.evaluated,
      categories: [...this.categories.values()].map((c) => ({ ...c })),
      checks: [...this.checks.values()].map((c) => ({ ...c })),
      monitoringCandidates: { ...this.monitoring },
    };
    return { ...summary, sentence: summarySentence(summary) };
  }
}
