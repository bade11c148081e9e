/**
 * Evaluates one household on one date against the loaded rule sets, with json-rules-engine, and
 * writes the determination JSON of DESIGN.md with a full explanation.
 *
 * Driven as PERF-NOTES.md measured: one long-lived Engine per rule set (and set of rules in force)
 * per thread, one precomputed fact object per household read through a trivial pathResolver, and
 * parameter values as a second fact object resolved once per date and region.
 *
 * The engine decides every condition; this module then reads the result tree in three-valued
 * logic, because a rule whose outcome hangs on a fact the record lacks is "undetermined", never
 * "not eligible" (POLICY.md "Words"): a condition on an unknown fact is unknown; `all` is false if
 * any child is false, else unknown if any is unknown; `any` is true if any child is true, else
 * unknown if any is unknown. The engine itself, told to allow undefined facts, would call such a
 * condition false.
 */
import { Engine, type RuleProperties } from 'json-rules-engine';
import type { Household } from '../registry/household.types';
import { membersWhere } from './facts/count.fact';
import { computeFacts, type FactContext, type HouseholdFacts, type MemberPredicateName } from './facts';
import { resolveParameter, type ResolvedParameter } from './parameters';
import {
  currentRules, ruleSetsFor, rulesInForce, type CompiledCondition, type CompiledRule, type LoadedRules, type LoadedRuleSet,
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

interface EngineEntry {
  engine: Engine;
  rules: CompiledRule[];
  /** The tail of this engine's runs: they must not overlap (see `runAlone`). */
  tail: Promise<unknown>;
}

/**
 * json-rules-engine keeps one `status` per Engine, and a run that finishes marks it FINISHED,
 * which stops every other run still in progress on the same Engine: overlapping runs gave
 * households with no eligible category (PERF-NOTES.md; seen in the export's batch pipeline).
 * Runs on one Engine are therefore chained; parallelism comes from worker threads, each with
 * its own engines.
 */
function runAlone<T>(entry: EngineEntry, work: () => Promise<T>): Promise<T> {
  const result = entry.tail.then(work, work);
  entry.tail = result.catch(() => undefined);
  return result;
}

const engines = new Map<string, EngineEntry>();

/** The fact objects are flat: a path is a key. The default JSONPath resolver halved throughput. */
const pathResolver = (object: any, path: string) => object[path];

function paramKey(p: { name: string; key: string | null }): string {
  return p.key === null ? p.name : `${p.name}.${p.key}`;
}

function toEngineCondition(c: CompiledCondition): any {
  if (c.kind === 'all') return { all: c.children.map(toEngineCondition) };
  if (c.kind === 'any') return { any: c.children.map(toEngineCondition) };
  if (c.kind === 'not') return { not: toEngineCondition(c.child) };
  return {
    fact: 'h', path: c.fact, operator: c.operator,
    value: c.parameter ? { fact: 'p', path: paramKey(c.parameter) } : c.value,
  };
}

/** A rule's top condition as the engine wants it: always a boolean group at the top. */
function topCondition(c: CompiledCondition): any {
  const e = toEngineCondition(c);
  return c.kind === 'leaf' ? { all: [e] } : e;
}

function engineFor(rules: LoadedRules, ruleSet: LoadedRuleSet, asOf: string): EngineEntry {
  const inForce = rulesInForce(ruleSet, asOf);
  const key = `${rules.hash}|${ruleSet.id}|${inForce.map((r) => r.key).join(',')}`;
  let entry = engines.get(key);
  if (entry) return entry;
  const engine = new Engine([], { allowUndefinedFacts: true, pathResolver });
  const add = (name: string, condition: CompiledCondition, rule: CompiledRule) => {
    const props: RuleProperties = { name, conditions: topCondition(condition), event: { type: rule.kind, params: { id: rule.id } } };
    engine.addRule(props);
  };
  for (const rule of inForce) {
    add(rule.key, rule.condition, rule);
    for (const s of rule.subBenefits) if (s.condition) add(`${rule.key}#${s.id}`, s.condition, rule);
    for (const t of rule.types) if (t.condition) add(`${rule.key}#${t.id}`, t.condition, rule);
  }
  entry = { engine, rules: inForce, tail: Promise.resolve() };
  if (engines.size > 100) engines.clear();
  engines.set(key, entry);
  return entry;
}

// ---------------------------------------------------------------- reading a result tree

interface Judgement { result: Tri; conditions: ConditionResult[]; missing: Set<string> }

function judge(c: CompiledCondition, node: any, facts: HouseholdFacts, params: ResolvedParameters, out: Judgement): Tri {
  if (c.kind === 'all' || c.kind === 'any') {
    const children: any[] = node?.[c.kind] ?? [];
    let unknown = false;
    let decided: boolean | undefined;
    c.children.forEach((child, i) => {
      const r = judge(child, children[i], facts, params, out);
      if (r === null) unknown = true;
      else if (c.kind === 'all' && r === false) decided = false;
      else if (c.kind === 'any' && r === true) decided = true;
    });
    if (decided !== undefined) return decided;
    return unknown ? null : c.kind === 'all';
  }
  if (c.kind === 'not') {
    const r = judge(c.child, node?.not, facts, params, out);
    return r === null ? null : !r;
  }
  const factValue = node && 'factResult' in node ? node.factResult : facts.values[c.fact];
  const resolved = c.parameter ? params.byName[c.parameter.name] : undefined;
  const value = c.parameter ? params.flat[paramKey(c.parameter)] : c.value;
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

function judgeRule(c: CompiledCondition | null, tree: any, facts: HouseholdFacts, params: ResolvedParameters): Judgement {
  const out: Judgement = { result: true, conditions: [], missing: new Set() };
  if (c === null) return out;
  // Rules are registered with a boolean group on top; a single leaf was wrapped in `all`.
  const node = c.kind === 'leaf' ? tree?.all?.[0] : tree;
  out.result = judge(c, node, facts, params, out);
  return out;
}

function and(a: Tri, b: Tri): Tri {
  if (a === false || b === false) return false;
  return a === null || b === null ? null : true;
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
  const runtime = { h: facts.values, p: params.flat };
  const members = Array.isArray(household.members) ? household.members : [];
  const memberRef = (i: number): MemberRef => {
    const id = (members[i] as { id?: unknown } | undefined)?.id;
    return { index: i, id: typeof id === 'string' ? id : null };
  };

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
    const entry = engineFor(rules, ruleSet, asOf);
    const inForce = entry.rules;
    if (inForce.length === 0) continue;
    if (ruleSet !== rules.base) determination.additions.push({ id: ruleSet.id, version: ruleSet.version });
    const { results, failureResults } = await runAlone(entry, () => entry.engine.run(runtime));
    const trees = new Map<string, any>();
    for (const r of results) trees.set(r.name as string, r.conditions);
    for (const r of failureResults) trees.set(r.name as string, r.conditions);

    for (const rule of inForce) {
      for (const p of rule.parameters) usedParameters.add(p);
      const j = judgeRule(rule.condition, trees.get(rule.key), facts, params);
      const missingFacts = j.result === null ? [...j.missing] : [];
      if (rule.kind === 'category') {
        const status = categoryStatus(j.result);
        let persons: number | null = null;
        let counted: MemberRef[] = [];
        if (rule.persons !== null) {
          if (status === 'eligible') {
            counted = membersWhere(facts.memberFlags[rule.persons as MemberPredicateName]).map(memberRef);
            persons = counted.length;
          } else if (status === 'not-eligible') persons = 0;
        }
        const subBenefits = rule.subBenefits.map((s): SubBenefitResult => {
          const sj = judgeRule(s.condition, trees.get(`${rule.key}#${s.id}`), facts, params);
          const who = membersWhere(facts.memberFlags[s.persons as MemberPredicateName]);
          const holds = and(and(j.result, sj.result), who.length > 0 ? true : (facts.values[`${s.persons}Count`] === undefined ? null : false));
          const subStatus = categoryStatus(holds);
          return {
            id: s.id, name: s.name, status: subStatus,
            persons: subStatus === 'eligible' ? who.length : subStatus === 'not-eligible' ? 0 : null,
            members: subStatus === 'eligible' ? who.map(memberRef) : [],
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
            const tj = judgeRule(t.condition, trees.get(`${rule.key}#${t.id}`), facts, params);
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
