/**
 * How the loaded rules are handed to json-rules-engine, shaped by CPU profiles of the bench
 * (PERF-NOTES.md; issue 5 asks for ≥ 25k households/s with full explanations):
 *
 * - One long-lived Engine per rule set and set of rules in force, per thread.
 * - The engine decides every *distinct* condition of the rules in force, once per household: a
 *   condition that several rules share (`inPolicy = true` opens eight of them) is one engine
 *   condition. They are registered as one engine rule whose conditions are an `all` of those
 *   leaves; all of them have the same priority, so json-rules-engine evaluates every one (it only
 *   short-circuits between priority groups) and records its fact value, the value compared with
 *   and the result. Composing the leaves into each rule's `all` / `any` / `not` is done by
 *   evaluate.ts in three-valued logic, which the engine cannot do (a missing fact makes a rule
 *   undetermined, POLICY.md "Words"). Per household this is 36 engine conditions for the
 *   default set instead of 24 rules holding 80 conditions, and one rule result instead of 24.
 * - Facts and parameters are read by name, as the rule files write them, by the run's almanac
 *   (`HouseholdAlmanac`), from the household's precomputed fact object: one resolved promise per
 *   fact, where the engine's own fact lookup took a JSONPath or a hashed cache key and a promise
 *   more per condition.
 * - json-rules-engine deep-copies a rule's conditions into every RuleResult with the generic
 *   `clone` package (37% of CPU in PERF-NOTES.md, 27% in this project's profile): see
 *   `copyConditions` below.
 *
 * Measured step by step on the engine alone (default rules, 20k synthetic households, one
 * thread, a machine shared with other work): 24 rules as before, 3.3k households/s; one rule of
 * the 36 distinct conditions, 8.9k; facts read by the almanac, 10.6k; with the copy below, more
 * again. A whole determination (facts, engine, explanations) went from 2.4k to 9–13k households
 * per CPU-second; `npm run bench -- eligibility` prints the current figures.
 */
import { Almanac, Engine } from 'json-rules-engine';
import type { CompiledCondition, CompiledRule } from './ruleset.loader';

// ---------------------------------------------------------------- the copy into each RuleResult

/**
 * json-rules-engine's RuleResult deep-copies the rule's conditions (so that one run's results do
 * not leak into the next) with the `clone` package, which handles every JavaScript type and
 * circular references: a dozen type checks per object and an `indexOf` over every object copied
 * so far. A rule's conditions here are Condition objects built from JSON: plain objects, arrays
 * and primitives, never circular. `copyConditions` copies exactly those, keeping each object's
 * prototype as `clone` does; anything else (a Map, a Date, a class instance a caller put in an
 * event) falls back to the library's own RuleResult untouched.
 *
 * The library's rule.js constructs `new (require('./rule-result').default)(…)` on every
 * evaluation, reading the property each time, so replacing that export with a constructor that
 * shares RuleResult's prototype changes only how the copy is made. (Replacing the `clone` module's
 * export instead changes nothing once the library is loaded: rule-result.js keeps its own
 * reference to the function, which is likely why an earlier attempt measured no gain.)
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ruleResultModule = require('json-rules-engine/dist/rule-result') as { default: any };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const conditionPrototype = (require('json-rules-engine/dist/condition') as { default: { prototype: object } }).default.prototype;

class NotPlain extends Error {}
const notPlain = new NotPlain();

function copyConditions(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyConditions(value[i]);
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== conditionPrototype && proto !== Object.prototype) throw notPlain;
  const out = Object.create(proto);
  for (const key of Object.keys(value)) out[key] = copyConditions((value as Record<string, unknown>)[key]);
  return out;
}

const LibraryRuleResult = ruleResultModule.default;
if (!LibraryRuleResult.isCopyingConditionsOnly) {
  const RuleResult = function RuleResult(this: any, conditions: unknown, event: unknown, priority: unknown, name: unknown): any {
    try {
      this.conditions = copyConditions(conditions);
      this.event = copyConditions(event);
    } catch (err) {
      // Not plain data, or (never from JSON) circular: the library's own copy handles both.
      if (err !== notPlain && !(err instanceof RangeError)) throw err;
      return new LibraryRuleResult(conditions, event, priority, name);
    }
    this.priority = priority;
    this.name = name;
    this.result = null;
  };
  RuleResult.prototype = LibraryRuleResult.prototype;
  (RuleResult as any).isCopyingConditionsOnly = true;
  ruleResultModule.default = RuleResult;
}

// ---------------------------------------------------------------- engines

/**
 * The almanac of one run answers every fact from the household's precomputed fact object, then
 * from the parameters in force. Nothing is registered on the Engine: no Fact objects added to
 * every run's almanac, no cache keys hashed (hash-it was 9% of CPU), no JSONPath. A name that is
 * neither is undefined, as `allowUndefinedFacts` would have it; the loader only lets rules name
 * known facts and parameters.
 */
class HouseholdAlmanac extends Almanac {
  constructor(private readonly facts: Readonly<Record<string, unknown>>, private readonly parameters: Readonly<Record<string, unknown>>) {
    super({ allowUndefinedFacts: true });
  }

  override factValue(factId: string, params?: Record<string, any>, path?: string): Promise<any> {
    if (path) return super.factValue(factId, params, path);
    const value = this.facts[factId];
    return Promise.resolve(value !== undefined || !(factId in this.parameters) ? value : this.parameters[factId]);
  }
}

/** The engine's fact name for a parameter: as a rule file names it (laborAge.min for a part). */
export function parameterFact(p: { name: string; key: string | null }): string {
  return p.key === null ? p.name : `${p.name}.${p.key}`;
}

/** One engine condition as json-rules-engine records it after a run. */
export interface EngineLeaf { fact: string; operator: string; value: unknown; factResult?: unknown; valueResult?: unknown; result?: boolean }

type Leaf = Extract<CompiledCondition, { kind: 'leaf' }>;

export interface RuleEngine {
  /** The rules in force this engine decides, in rule-set order. */
  rules: CompiledRule[];
  /** Each leaf of those rules → the index of its engine condition. */
  leafIndex: Map<CompiledCondition, number>;
  /** Runs the engine for one household; resolves with one recorded condition per index. */
  run(facts: Readonly<Record<string, unknown>>, parameters: Readonly<Record<string, unknown>>): Promise<EngineLeaf[]>;
}

function leavesOf(c: CompiledCondition | null, out: Leaf[]): void {
  if (c === null) return;
  if (c.kind === 'leaf') out.push(c);
  else if (c.kind === 'not') leavesOf(c.child, out);
  else for (const child of c.children) leavesOf(child, out);
}

/** Builds the engine for `rules` (the rules of one rule set in force on one date). */
export function buildRuleEngine(rules: CompiledRule[]): RuleEngine {
  const leaves: Leaf[] = [];
  for (const rule of rules) {
    leavesOf(rule.condition, leaves);
    for (const s of rule.subBenefits) leavesOf(s.condition, leaves);
    for (const t of rule.types) leavesOf(t.condition, leaves);
  }
  const leafIndex = new Map<CompiledCondition, number>();
  const byKey = new Map<string, number>();
  const conditions: { fact: string; operator: string; value: unknown }[] = [];
  const householdFacts = new Set<string>();
  const parameterFacts = new Set<string>();
  for (const leaf of leaves) {
    const value = leaf.parameter ? { fact: parameterFact(leaf.parameter) } : leaf.value;
    const key = JSON.stringify([leaf.fact, leaf.operator, value]);
    let index = byKey.get(key);
    if (index === undefined) {
      index = conditions.length;
      byKey.set(key, index);
      conditions.push({ fact: leaf.fact, operator: leaf.operator, value });
      householdFacts.add(leaf.fact);
      if (leaf.parameter) parameterFacts.add(parameterFact(leaf.parameter));
    }
    leafIndex.set(leaf, index);
  }

  for (const name of householdFacts) {
    if (parameterFacts.has(name)) throw new Error(`${name} is both a fact and a parameter`);
  }
  const engine = new Engine([], { allowUndefinedFacts: true });
  engine.addRule({ name: 'conditions', conditions: { all: conditions as any }, event: { type: 'conditions' } });

  /**
   * json-rules-engine keeps one `status` per Engine, and a run that finishes marks it FINISHED,
   * which stops every other run still in progress on the same Engine: overlapping runs gave
   * households with no eligible category (seen in the export's batch pipeline). Runs on one
   * Engine are therefore chained; parallelism comes from worker threads, each with its own.
   */
  let tail: Promise<unknown> = Promise.resolve();
  const runOnce = async (facts: Readonly<Record<string, unknown>>, parameters: Readonly<Record<string, unknown>>): Promise<EngineLeaf[]> => {
    const almanac = new HouseholdAlmanac(facts, parameters);
    const { results, failureResults } = await engine.run({}, { almanac });
    const result = results[0] ?? failureResults[0];
    return (result.conditions as unknown as { all: EngineLeaf[] }).all;
  };
  return {
    rules, leafIndex,
    run(facts, parameters) {
      const result = tail.then(() => runOnce(facts, parameters), () => runOnce(facts, parameters));
      tail = result.catch(() => undefined);
      return result;
    },
  };
}
