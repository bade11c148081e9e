/**
 * Evaluates one household on one date against the loaded rule sets, with json-rules-engine, and
 * writes the determination JSON of DESIGN.md with a full explanation.
 *
 * The engine (rule.engine.ts: one long-lived Engine per rule set and set of rules in force, per
 * thread) decides every condition against one precomputed fact object per household and the
 * parameter values resolved once per date and region. This module then composes the recorded
 * conditions into each rule's result in three-valued logic, because a rule whose outcome hangs
 * on a fact the record lacks is "undetermined", never "not eligible" (POLICY.md "Words"): a
 * condition on an unknown fact is unknown; `all` is false if any child is false, else unknown if
 * any is unknown; `any` is true if any child is true, else unknown if any is unknown. The engine
 * itself, told to allow undefined facts, would call such a condition false.
 */
import type { Household } from '../registry/household.types';
import { membersWhere } from './facts/count.fact';
import { computeFacts, type FactContext, type HouseholdFacts, type MemberPredicateName } from './facts';
import { resolveParameter, type ResolvedParameter } from './parameters';
import { buildRuleEngine, parameterFact, type EngineLeaf, type RuleEngine } from './rule.engine';
import {
  currentRules, ruleSetsFor, rulesInForce, type CompiledCondition, type LoadedRules, type LoadedRuleSet,
} from './ruleset.loader';

// ---------------------------------------------------------------- the determination JSON

export type Tri = boolean | null;
export type CategoryStatus = 'eligible' | 'not-eligible' | 'undetermined';
export type CheckStatus = 'pass' | 'fail' | 'undetermined';

export interface ConditionResult {
  fact: string;
  operator: string;
  /** The fact's value; null when the record lacks it. */
  factValue: unknown;
  /** The value compared with: the parameter's value in force, or the rule's own constant. */
  value: unknown;
  parameter: { name: string; effectiveFrom: string; region: string | null } | null;
  /** null: unknown, because the fact is missing. */
  result: Tri;
}

export interface MemberRef { index: number; id: string | null }

export interface SubBenefitResult {
  id: string;
  name: string;
  status: CategoryStatus;
  persons: number | null;
  members: MemberRef[];
}

export interface CategoryResult {
  id: string;
  name: string;
  status: CategoryStatus;
  /** Persons counted; null for a category that counts households only (and while undetermined). */
  persons: number | null;
  /** Which members count (member-level categories, when eligible). */
  members: MemberRef[];
  missingFacts: string[];
  conditions: ConditionResult[];
  subBenefits: SubBenefitResult[];
  ruleSet: string;
}

export interface CheckResult {
  id: string;
  name: string;
  status: CheckStatus;
  missingFacts: string[];
  conditions: ConditionResult[];
}

export interface DataCheckResult extends CheckResult {
  /** For a failing check: why, in words, with the fact values. */
  reason: string | null;
}

export interface MonitoringResult {
  /** null while undetermined. */
  candidate: boolean | null;
  type: 'unstable' | 'marginal' | 'sudden' | null;
  status: 'candidate' | 'not-candidate' | 'undetermined' | 'not-in-force';
  missingFacts: string[];
  conditions: ConditionResult[];
}

export interface Determination {
  asOf: string;
  householdCode: string | null;
  regionCode: string | null;
  ruleSet: { id: string; version: string; hash: string };
  /** County or province rule sets that added rules for this household. */
  additions: { id: string; version: string }[];
  inPolicy: boolean | null;
  memberCount: number;
  categories: CategoryResult[];
  checks: CheckResult[];
  monitoringCandidate: MonitoringResult;
  dataChecks: DataCheckResult[];
  /** Every parameter the rules in force read, with the value used and where it came from. */
  parameters: Record<string, { value: unknown; effectiveFrom: string; region: string | null }>;
}

// ---------------------------------------------------------------- parameters per date and region

interface ResolvedParameters {
  /** Name → value, for the facts (laborAge → { min, max }). */
  values: Record<string, unknown>;
  /** Flat keys the engine reads (dibaoLine, laborAge.min …). */
  flat: Record<string, unknown>;
  byName: Record<string, ResolvedParameter>;
}

const parameterCache = new Map<string, ResolvedParameters>();

function parametersFor(rules: LoadedRules, regionCode: string, asOf: string): ResolvedParameters {
  const key = `${rules.hash}|${asOf}|${regionCode}`;
  let resolved = parameterCache.get(key);
  if (resolved) return resolved;
  resolved = { values: {}, flat: {}, byName: {} };
  for (const parameter of rules.parameters.values()) {
    const r = resolveParameter(parameter, regionCode, asOf);
    if (!r) continue;
    resolved.values[r.name] = r.value;
    resolved.byName[r.name] = r;
    resolved.flat[r.name] = r.value;
    if (typeof r.value === 'object') for (const [k, v] of Object.entries(r.value)) resolved.flat[`${r.name}.${k}`] = v;
  }
  if (parameterCache.size > 50_000) parameterCache.clear();
  parameterCache.set(key, resolved);
  return resolved;
}

// ---------------------------------------------------------------- engines, one per rule set per thread

/**
 * Engines by the rules in force (two dates with the same rules share one), and the engine of each
 * rule set and date, looked up first because this runs for every household. Hot paths here
 * avoid closures created per household: under tsx every named closure also costs a
 * `defineProperty` for its name (esbuild keepNames), 1.5% of a profile.
 */
const engines = new Map<string, RuleEngine>();
const engineByDate = new WeakMap<LoadedRuleSet, Map<string, RuleEngine>>();

function engineFor(rules: LoadedRules, ruleSet: LoadedRuleSet, asOf: string): RuleEngine {
  let byDate = engineByDate.get(ruleSet);
  let entry = byDate?.get(asOf);
  if (entry) return entry;
  const inForce = rulesInForce(ruleSet, asOf);
  const key = `${rules.hash}|${ruleSet.id}|${inForce.map((r) => r.key).join(',')}`;
  entry = engines.get(key);
  if (!entry) {
    entry = buildRuleEngine(inForce);
    if (engines.size > 100) engines.clear();
    engines.set(key, entry);
  }
  if (!byDate) engineByDate.set(ruleSet, byDate = new Map());
  if (byDate.size > 1000) byDate.clear();
  byDate.set(asOf, entry);
  return entry;
}

// ---------------------------------------------------------------- reading a result tree

interface Judgement { result: Tri; conditions: ConditionResult[]; missing: Set<string> }

/** What the engine recorded for one household, and what the conditions are compared with. */
interface Recorded { engine: RuleEngine; leaves: EngineLeaf[]; facts: HouseholdFacts; params: ResolvedParameters }

function judge(c: CompiledCondition, run: Recorded, out: Judgement): Tri {
  if (c.kind === 'all' || c.kind === 'any') {
    let unknown = false;
    let decided: boolean | undefined;
    for (const child of c.children) {
      const r = judge(child, run, out);
      if (r === null) unknown = true;
      else if (c.kind === 'all' && r === false) decided ??= false;
      else if (c.kind === 'any' && r === true) decided ??= true;
    }
    if (decided !== undefined) return decided;
    return unknown ? null : c.kind === 'all';
  }
  if (c.kind === 'not') {
    const r = judge(c.child, run, out);
    return r === null ? null : !r;
  }
  const node = run.leaves[run.engine.leafIndex.get(c)!];
  const factValue = node && 'factResult' in node ? node.factResult : run.facts.values[c.fact];
  const resolved = c.parameter ? run.params.byName[c.parameter.name] : undefined;
  const value = c.parameter ? run.params.flat[parameterFact(c.parameter)] : c.value;
  let result: Tri;
  if (factValue === undefined) {
    out.missing.add(c.fact);
    result = null;
  } else if (value === undefined) {
    out.missing.add(`parameter:${c.parameter!.name}`);
    result = null;
  } else {
    result = typeof node?.result === 'boolean' ? node.result : null;
  }
  out.conditions.push({
    fact: c.fact, operator: c.operator, factValue: factValue === undefined ? null : factValue, value: value === undefined ? null : value,
    parameter: resolved ? { name: resolved.name, effectiveFrom: resolved.effectiveFrom, region: resolved.region } : null,
    result,
  });
  return result;
}

function judgeRule(c: CompiledCondition | null, run: Recorded): Judgement {
  const out: Judgement = { result: true, conditions: [], missing: new Set() };
  if (c === null) return out;
  out.result = judge(c, run, out);
  return out;
}

function and(a: Tri, b: Tri): Tri {
  if (a === false || b === false) return false;
  return a === null || b === null ? null : true;
}

/** A counted member: its place in the list and its id. (A module function: see `engineFor`.) */
function memberRefs(members: readonly unknown[], indexes: number[]): MemberRef[] {
  return indexes.map((i) => {
    const id = (members[i] as { id?: unknown } | undefined)?.id;
    return { index: i, id: typeof id === 'string' ? id : null };
  });
}

const categoryStatus = (t: Tri): CategoryStatus => (t === true ? 'eligible' : t === false ? 'not-eligible' : 'undetermined');
const checkStatus = (t: Tri): CheckStatus => (t === true ? 'fail' : t === false ? 'pass' : 'undetermined');

function fillReason(template: string, values: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = values[name];
    return v === undefined || v === null ? '（未知）' : String(v);
  });
}

// ---------------------------------------------------------------- evaluation

export interface EvaluateOptions {
  rules?: LoadedRules;
  context?: FactContext;
}

export interface Evaluation { determination: Determination; facts: HouseholdFacts }

/** The determination for one household on `asOf` (YYYY-MM-DD), with the facts it was made from. */
export async function evaluateWithFacts(household: Partial<Household>, asOf: string, options: EvaluateOptions = {}): Promise<Evaluation> {
  const rules = options.rules ?? currentRules();
  const regionCode = typeof household.regionCode === 'string' ? household.regionCode : '';
  const params = parametersFor(rules, regionCode, asOf);
  const facts = computeFacts(household, asOf, params.values, options.context);
  const members = Array.isArray(household.members) ? household.members : [];

  const determination: Determination = {
    asOf,
    householdCode: typeof household.code === 'string' ? household.code : null,
    regionCode: regionCode || null,
    ruleSet: { id: rules.base.id, version: rules.base.version, hash: rules.hash },
    additions: [],
    inPolicy: (facts.values.inPolicy as boolean | undefined) ?? null,
    memberCount: facts.values.listedMemberCount as number,
    categories: [],
    checks: [],
    monitoringCandidate: { candidate: false, type: null, status: 'not-in-force', missingFacts: [], conditions: [] },
    dataChecks: [],
    parameters: {},
  };
  const usedParameters = new Set<string>();
  let monitoringSeen = false;

  for (const ruleSet of ruleSetsFor(rules, regionCode)) {
    const engine = engineFor(rules, ruleSet, asOf);
    const inForce = engine.rules;
    if (inForce.length === 0) continue;
    if (ruleSet !== rules.base) determination.additions.push({ id: ruleSet.id, version: ruleSet.version });
    const run: Recorded = { engine, leaves: await engine.run(facts.values, params.flat), facts, params };

    for (const rule of inForce) {
      for (const p of rule.parameters) usedParameters.add(p);
      const j = judgeRule(rule.condition, run);
      const missingFacts = j.result === null ? [...j.missing] : [];
      if (rule.kind === 'category') {
        const status = categoryStatus(j.result);
        let persons: number | null = null;
        let counted: MemberRef[] = [];
        if (rule.persons !== null) {
          if (status === 'eligible') {
            counted = memberRefs(members, membersWhere(facts.memberFlags[rule.persons as MemberPredicateName]));
            persons = counted.length;
          } else if (status === 'not-eligible') persons = 0;
        }
        const subBenefits = rule.subBenefits.map((s): SubBenefitResult => {
          const sj = judgeRule(s.condition, run);
          const who = membersWhere(facts.memberFlags[s.persons as MemberPredicateName]);
          const holds = and(and(j.result, sj.result), who.length > 0 ? true : (facts.values[`${s.persons}Count`] === undefined ? null : false));
          const subStatus = categoryStatus(holds);
          return {
            id: s.id, name: s.name, status: subStatus,
            persons: subStatus === 'eligible' ? who.length : subStatus === 'not-eligible' ? 0 : null,
            members: subStatus === 'eligible' ? memberRefs(members, who) : [],
          };
        });
        determination.categories.push({
          id: rule.id, name: rule.name, status, persons, members: counted, missingFacts, conditions: j.conditions, subBenefits, ruleSet: ruleSet.id,
        });
      } else if (rule.kind === 'check') {
        determination.checks.push({ id: rule.id, name: rule.name, status: checkStatus(j.result), missingFacts, conditions: j.conditions });
      } else if (rule.kind === 'data-check') {
        const status = checkStatus(j.result);
        determination.dataChecks.push({
          id: rule.id, name: rule.name, status, missingFacts, conditions: j.conditions,
          reason: status === 'fail' && rule.reason ? fillReason(rule.reason, facts.values) : null,
        });
      } else if (!monitoringSeen) {
        monitoringSeen = true;
        const m: MonitoringResult = {
          candidate: j.result, type: null,
          status: j.result === true ? 'candidate' : j.result === false ? 'not-candidate' : 'undetermined',
          missingFacts, conditions: j.conditions,
        };
        if (j.result === true) {
          for (const t of rule.types) {
            const tj = judgeRule(t.condition, run);
            if (tj.result === true) { m.type = t.id; break; }
            if (tj.result === null) {
              // Which type hangs on a missing fact: a candidate all the same, its type unknown.
              m.missingFacts = [...tj.missing];
              break;
            }
          }
        }
        determination.monitoringCandidate = m;
      }
    }
  }
  for (const name of [...usedParameters].sort()) {
    const r = params.byName[name];
    if (r) determination.parameters[name] = { value: r.value, effectiveFrom: r.effectiveFrom, region: r.region };
  }
  return { determination, facts };
}

export async function evaluateHousehold(household: Partial<Household>, asOf: string, options: EvaluateOptions = {}): Promise<Determination> {
  return (await evaluateWithFacts(household, asOf, options)).determination;
}
