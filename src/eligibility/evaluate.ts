/**
 * Evaluates one household on one date against the loaded rule sets, with json-rules-engine, and
 * writes the determination JSON of DESIGN.md with a full explanation.
 *
 * The engine (rule.engine.ts: one long-lived Engine per rule set, set of rules in force and set
 * of parameter values, per thread) decides every condition against one precomputed fact object
 * per household, with the parameter values resolved once per date and region written into its
 * conditions; what each condition was compared with, and where that value came from, is worked
 * out here once per engine (`planOf`). This module then composes the recorded
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
  currentRules, ruleSetsFor, rulesInForce, type CompiledCondition, type CompiledMonitoringType, type CompiledRule,
  type CompiledSubBenefit, type LoadedRules, type LoadedRuleSet,
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

// ---------------------------------------------------------------- what one date and region share

interface ResolvedParameters {
  /** Name → value, for the facts (laborAge → { min, max }). */
  values: Record<string, unknown>;
  /** Flat keys the engine reads (dibaoLine, laborAge.min …). */
  flat: Record<string, unknown>;
  byName: Record<string, ResolvedParameter>;
}

function resolveParameters(rules: LoadedRules, regionCode: string, asOf: string): ResolvedParameters {
  const resolved: ResolvedParameters = { values: {}, flat: {}, byName: {} };
  for (const parameter of rules.parameters.values()) {
    const r = resolveParameter(parameter, regionCode, asOf);
    if (!r) continue;
    resolved.values[r.name] = r.value;
    resolved.byName[r.name] = r;
    resolved.flat[r.name] = r.value;
    if (typeof r.value === 'object') for (const [k, v] of Object.entries(r.value)) resolved.flat[`${r.name}.${k}`] = v;
  }
  return resolved;
}

/**
 * A leaf of a rule as evaluate.ts reads it back: where the engine recorded it, and what the
 * explanation says it was compared with (worked out once per engine, not per household).
 */
interface LeafPlan {
  kind: 'leaf';
  index: number;
  fact: string;
  operator: string;
  /** The parameter's value in force, or the rule's own constant; undefined: no value in force. */
  value: unknown;
  parameter: ResolvedParameter | undefined;
  /** The name of the parameter the leaf reads; null for a constant. */
  parameterName: string | null;
}

type ConditionPlan =
  | LeafPlan
  | { kind: 'all' | 'any'; children: ConditionPlan[] }
  | { kind: 'not'; child: ConditionPlan };

interface RulePlan {
  rule: CompiledRule;
  condition: ConditionPlan;
  /** `countFact`: the `<persons>Count` fact, unknown when the members cannot tell who counts. */
  subBenefits: { benefit: CompiledSubBenefit; condition: ConditionPlan | null; countFact: string }[];
  types: { type: CompiledMonitoringType; condition: ConditionPlan | null }[];
}

/** One rule set's engine for one set of parameters in force, and how its rules read it back. */
interface Decider { engine: RuleEngine; plans: RulePlan[] }

/** A rule set with rules in force for a household, in the order they are evaluated. */
interface Step { ruleSet: LoadedRuleSet; decider: Decider; addition: { id: string; version: string } | null }

/** Everything households of one region on one date share. */
interface Setting {
  params: ResolvedParameters;
  steps: Step[];
  /**
   * Every parameter the rules in force read, sorted by name, with its value in force and where it
   * came from, as a determination lists them: one frozen object every determination of the
   * setting shares.
   */
  block: Determination['parameters'];
}

function planOf(c: CompiledCondition, engine: RuleEngine, params: ResolvedParameters): ConditionPlan {
  if (c.kind === 'all' || c.kind === 'any') return { kind: c.kind, children: c.children.map((child) => planOf(child, engine, params)) };
  if (c.kind === 'not') return { kind: 'not', child: planOf(c.child, engine, params) };
  return {
    kind: 'leaf', index: engine.leafIndex.get(c)!, fact: c.fact, operator: c.operator,
    value: c.parameter ? params.flat[parameterFact(c.parameter)] : c.value,
    parameter: c.parameter ? params.byName[c.parameter.name] : undefined,
    parameterName: c.parameter ? c.parameter.name : null,
  };
}

function leafParameters(c: CompiledCondition | null, out: Set<string>): void {
  if (c === null) return;
  if (c.kind === 'leaf') {
    if (c.parameter) out.add(c.parameter.name);
  } else if (c.kind === 'not') leafParameters(c.child, out);
  else for (const child of c.children) leafParameters(child, out);
}

/**
 * Deciders by rule set, rules in force and the parameters their conditions compare with (two
 * dates with the same rules and values share one; a county has one or two sets of values).
 */
const deciders = new Map<string, Decider>();

function deciderFor(rules: LoadedRules, ruleSet: LoadedRuleSet, inForce: CompiledRule[], params: ResolvedParameters): Decider {
  const read = new Set<string>();
  for (const rule of inForce) {
    leafParameters(rule.condition, read);
    for (const s of rule.subBenefits) leafParameters(s.condition, read);
    for (const t of rule.types) leafParameters(t.condition, read);
  }
  const values = [...read].sort().map((name) => [name, params.byName[name] ?? null]);
  const key = `${rules.hash}|${ruleSet.id}|${inForce.map((r) => r.key).join(',')}|${JSON.stringify(values)}`;
  let decider = deciders.get(key);
  if (!decider) {
    const engine = buildRuleEngine(inForce, params.flat);
    decider = {
      engine,
      plans: inForce.map((rule) => ({
        rule,
        condition: planOf(rule.condition, engine, params),
        subBenefits: rule.subBenefits.map((benefit) => ({
          benefit, condition: benefit.condition && planOf(benefit.condition, engine, params), countFact: `${benefit.persons}Count`,
        })),
        types: rule.types.map((type) => ({ type, condition: type.condition && planOf(type.condition, engine, params) })),
      })),
    };
    if (deciders.size > 100) deciders.clear();
    deciders.set(key, decider);
  }
  return decider;
}

/**
 * Settings by rules, date and region, looked up first because this runs for every household.
 * Hot paths here avoid closures created per household: under tsx every named closure also
 * costs a `defineProperty` for its name (esbuild keepNames), 1.5% of a profile.
 */
const settings = new WeakMap<LoadedRules, Map<string, Map<string, Setting>>>();
let settingCount = 0;

function settingFor(rules: LoadedRules, regionCode: string, asOf: string): Setting {
  let byDate = settings.get(rules);
  let byRegion = byDate?.get(asOf);
  let setting = byRegion?.get(regionCode);
  if (setting) return setting;
  if (settingCount > 50_000) {
    byDate?.clear();
    byRegion = undefined;
    settingCount = 0;
  }
  if (!byDate) settings.set(rules, byDate = new Map());
  if (!byRegion) byDate.set(asOf, byRegion = new Map());

  const params = resolveParameters(rules, regionCode, asOf);
  const steps: Step[] = [];
  const used = new Set<string>();
  for (const ruleSet of ruleSetsFor(rules, regionCode)) {
    const inForce = rulesInForce(ruleSet, asOf);
    if (inForce.length === 0) continue;
    for (const rule of inForce) for (const p of rule.parameters) used.add(p);
    steps.push({
      ruleSet, decider: deciderFor(rules, ruleSet, inForce, params),
      addition: ruleSet !== rules.base ? { id: ruleSet.id, version: ruleSet.version } : null,
    });
  }
  const block: Determination['parameters'] = {};
  for (const name of [...used].sort()) {
    const r = params.byName[name];
    if (r) block[name] = Object.freeze({ value: r.value, effectiveFrom: r.effectiveFrom, region: r.region });
  }
  setting = { params, steps, block: Object.freeze(block) };
  byRegion.set(regionCode, setting);
  settingCount++;
  return setting;
}

/**
 * The `parameters` of a determination for a household of `regionCode` on `asOf`: the very block
 * (frozen) every such determination shares. A run records
 * the block of its own region once, so its stored determinations can leave it out
 * (determination.codec.ts `runShared`).
 */
export function parametersInForce(rules: LoadedRules, regionCode: string, asOf: string): Determination['parameters'] {
  return settingFor(rules, regionCode, asOf).block;
}

// ---------------------------------------------------------------- reading a result tree

/** `missing`: facts (and `parameter:` names) the result hangs on, in the order met; null for none yet. */
interface Judgement { result: Tri; conditions: ConditionResult[]; missing: string[] | null }

function addMissing(out: Judgement, name: string): void {
  if (out.missing === null) out.missing = [name];
  else if (!out.missing.includes(name)) out.missing.push(name);
}

function judge(c: ConditionPlan, leaves: EngineLeaf[], facts: Record<string, unknown>, out: Judgement): Tri {
  if (c.kind === 'not') {
    const r = judge(c.child, leaves, facts, out);
    return r === null ? null : !r;
  }
  if (c.kind !== 'leaf') {
    let unknown = false;
    let decided: boolean | undefined;
    for (const child of c.children) {
      const r = judge(child, leaves, facts, out);
      if (r === null) unknown = true;
      else if (c.kind === 'all' && r === false) decided ??= false;
      else if (c.kind === 'any' && r === true) decided ??= true;
    }
    if (decided !== undefined) return decided;
    return unknown ? null : c.kind === 'all';
  }
  const node = leaves[c.index];
  const factValue = node && 'factResult' in node ? node.factResult : facts[c.fact];
  const value = c.value;
  let result: Tri;
  if (factValue === undefined) {
    addMissing(out, c.fact);
    result = null;
  } else if (value === undefined) {
    addMissing(out, `parameter:${c.parameterName!}`);
    result = null;
  } else {
    result = typeof node?.result === 'boolean' ? node.result : null;
  }
  const resolved = c.parameter;
  out.conditions.push({
    fact: c.fact, operator: c.operator, factValue: factValue === undefined ? null : factValue, value: value === undefined ? null : value,
    parameter: resolved ? { name: resolved.name, effectiveFrom: resolved.effectiveFrom, region: resolved.region } : null,
    result,
  });
  return result;
}

function judgeRule(c: ConditionPlan | null, leaves: EngineLeaf[], facts: Record<string, unknown>): Judgement {
  const out: Judgement = { result: true, conditions: [], missing: null };
  if (c === null) return out;
  out.result = judge(c, leaves, facts, out);
  return out;
}

/** The facts the result hangs on, for a result that is unknown. */
function missingOf(j: Judgement): string[] {
  return j.result === null && j.missing !== null ? j.missing : [];
}

function and(a: Tri, b: Tri): Tri {
  if (a === false || b === false) return false;
  return a === null || b === null ? null : true;
}

/** A counted member: its place in the list and its id. */
function memberRefs(members: readonly unknown[], indexes: number[]): MemberRef[] {
  const refs: MemberRef[] = [];
  for (const i of indexes) {
    const id = (members[i] as { id?: unknown } | undefined)?.id;
    refs.push({ index: i, id: typeof id === 'string' ? id : null });
  }
  return refs;
}

const categoryStatus = (t: Tri): CategoryStatus => (t === true ? 'eligible' : t === false ? 'not-eligible' : 'undetermined');
const checkStatus = (t: Tri): CheckStatus => (t === true ? 'fail' : t === false ? 'pass' : 'undetermined');

/**
 * A data check's reason with its `{fact}` placeholders filled in. The template is split once
 * into text (even places) and fact names (odd places): `String.replace` with a callback per
 * household was 1% of a run.
 */
const reasonParts = new Map<string, string[]>();

function fillReason(template: string, values: Record<string, unknown>): string {
  let parts = reasonParts.get(template);
  if (!parts) {
    parts = template.split(/\{(\w+)\}/);
    if (reasonParts.size > 1000) reasonParts.clear();
    reasonParts.set(template, parts);
  }
  let text = parts[0];
  for (let i = 1; i < parts.length; i += 2) {
    const v = values[parts[i]];
    text += (v === undefined || v === null ? '（未知）' : String(v)) + parts[i + 1];
  }
  return text;
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
  const setting = settingFor(rules, regionCode, asOf);
  const facts = computeFacts(household, asOf, setting.params.values, options.context);
  const values = facts.values;
  const members = Array.isArray(household.members) ? household.members : [];

  const determination: Determination = {
    asOf,
    householdCode: typeof household.code === 'string' ? household.code : null,
    regionCode: regionCode || null,
    ruleSet: { id: rules.base.id, version: rules.base.version, hash: rules.hash },
    additions: [],
    inPolicy: (values.inPolicy as boolean | undefined) ?? null,
    memberCount: values.listedMemberCount as number,
    categories: [],
    checks: [],
    monitoringCandidate: { candidate: false, type: null, status: 'not-in-force', missingFacts: [], conditions: [] },
    dataChecks: [],
    parameters: setting.block,
  };
  let monitoringSeen = false;

  for (const step of setting.steps) {
    if (step.addition) determination.additions.push({ id: step.addition.id, version: step.addition.version });
    const leaves = await step.decider.engine.run(values);

    for (const plan of step.decider.plans) {
      const rule = plan.rule;
      const j = judgeRule(plan.condition, leaves, values);
      const missingFacts = missingOf(j);
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
        const subBenefits: SubBenefitResult[] = [];
        for (const { benefit, condition, countFact } of plan.subBenefits) {
          const sj = judgeRule(condition, leaves, values);
          const who = membersWhere(facts.memberFlags[benefit.persons as MemberPredicateName]);
          const holds = and(and(j.result, sj.result), who.length > 0 ? true : (values[countFact] === undefined ? null : false));
          const subStatus = categoryStatus(holds);
          subBenefits.push({
            id: benefit.id, name: benefit.name, status: subStatus,
            persons: subStatus === 'eligible' ? who.length : subStatus === 'not-eligible' ? 0 : null,
            members: subStatus === 'eligible' ? memberRefs(members, who) : [],
          });
        }
        determination.categories.push({
          id: rule.id, name: rule.name, status, persons, members: counted, missingFacts, conditions: j.conditions, subBenefits, ruleSet: step.ruleSet.id,
        });
      } else if (rule.kind === 'check') {
        determination.checks.push({ id: rule.id, name: rule.name, status: checkStatus(j.result), missingFacts, conditions: j.conditions });
      } else if (rule.kind === 'data-check') {
        const status = checkStatus(j.result);
        determination.dataChecks.push({
          id: rule.id, name: rule.name, status, missingFacts, conditions: j.conditions,
          reason: status === 'fail' && rule.reason ? fillReason(rule.reason, values) : null,
        });
      } else if (!monitoringSeen) {
        monitoringSeen = true;
        const m: MonitoringResult = {
          candidate: j.result, type: null,
          status: j.result === true ? 'candidate' : j.result === false ? 'not-candidate' : 'undetermined',
          missingFacts, conditions: j.conditions,
        };
        if (j.result === true) {
          for (const { type, condition } of plan.types) {
            const tj = judgeRule(condition, leaves, values);
            if (tj.result === true) { m.type = type.id; break; }
            if (tj.result === null) {
              // Which type hangs on a missing fact: a candidate all the same, its type unknown.
              m.missingFacts = tj.missing ?? [];
              break;
            }
          }
        }
        determination.monitoringCandidate = m;
      }
    }
  }
  return { determination, facts };
}

export async function evaluateHousehold(household: Partial<Household>, asOf: string, options: EvaluateOptions = {}): Promise<Determination> {
  return (await evaluateWithFacts(household, asOf, options)).determination;
}
