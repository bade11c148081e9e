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
 * - Facts are read by name, as the rule files write them, by the run's almanac
 *   (`HouseholdAlmanac`), from the household's precomputed fact object: one settled promise per
 *   fact, where the engine's own fact lookup took a JSONPath or a hashed cache key and a promise
 *   more per condition. Parameter values in force are written into the conditions when the
 *   engine is built (one engine per set of values: `buildRuleEngine`).
 * - json-rules-engine deep-copies a rule's conditions into every RuleResult with the generic
 *   `clone` package (37% of CPU in PERF-NOTES.md, 27% in this project's profile): see
 *   `copyConditions` and `copyEngineRule` below.
 * - Its four numeric operators are registered again with a cheaper, equivalent check of the fact
 *   value (`numberValidator`); every other operator is the library's own.
 * - Each leaf's comparison is settled in one promise (`evaluateLeaf`) instead of the library's
 *   Promise.all of two: a determination's garbage went from 86 to 51 KB, and the engine alone
 *   from 12–17k to 20–26k households/s on one thread (session 5).
 *
 * Measured step by step on the engine alone (default rules, 20k synthetic households, one
 * thread, a machine shared with other work): 24 rules as before, 3.3k households/s; one rule of
 * the 36 distinct conditions, 8.9k; facts read by the almanac, 10.6k; with the copy below, more
 * again. A whole determination (facts, engine, explanations) went from 2.4k to 9–13k households
 * per CPU-second, then (parameters written into the conditions, the copy by shape, the numeric
 * check, settled promises, one ID-number parse per member; issue 5) to about 21k in the same
 * measurement; `npm run bench -- eligibility` prints the current figures.
 */
import { Almanac, Engine, Operator, Rule, type RuleResult as RuleResultLike } from 'json-rules-engine';
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
      const copy = (conditions as { [RULE_COPY]?: (c: unknown) => unknown } | null)?.[RULE_COPY];
      this.conditions = copy ? copy(conditions) : copyConditions(conditions);
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

// ---------------------------------------------------------------- the copy of this module's rule

/**
 * The one rule an engine of this module holds has a known shape: an `all` Condition whose
 * children are leaf Conditions with `fact`, `operator`, `value` and `priority` (checked when the
 * engine is built). Its copy into each RuleResult is made by constructors of that shape, with
 * the Condition prototype, rather than key by key: the same objects, a fraction of the work
 * (the generic copy above was 7% of a determination's CPU). A `value` that is not a primitive
 * (the list of an `in`) is still copied by `copyConditions`. The rule carries its copier under
 * a symbol, which neither `clone` nor `copyConditions` (own enumerable string keys) looks at.
 */
const RULE_COPY = Symbol('copy of an engine rule of rule.engine.ts');

interface LeafShape { fact: string; operator: string; value: unknown; priority: number }

const LeafCopy = function LeafCopy(this: LeafShape, from: LeafShape) {
  this.fact = from.fact;
  this.operator = from.operator;
  const value = from.value;
  this.value = value !== null && typeof value === 'object' ? copyConditions(value) : value;
  this.priority = from.priority;
} as unknown as new (from: LeafShape) => LeafShape;
// The copies are what the engine evaluates and records results on (rule.js evaluates the
// RuleResult's conditions): a Condition whose `evaluate` is `evaluateLeaf`.
LeafCopy.prototype = Object.create(conditionPrototype, { evaluate: { value: evaluateLeaf, writable: true, configurable: true } });

interface AllShape { all: LeafShape[]; operator: string; priority: number }

const AllCopy = function AllCopy(this: AllShape, from: AllShape, all: LeafShape[]) {
  this.all = all;
  this.operator = from.operator;
  this.priority = from.priority;
} as unknown as new (from: AllShape, all: LeafShape[]) => AllShape;
AllCopy.prototype = conditionPrototype;

function copyEngineRule(from: AllShape): AllShape {
  const leaves = from.all;
  const all: LeafShape[] = [];
  for (let i = 0; i < leaves.length; i++) all.push(new LeafCopy(leaves[i]));
  return new AllCopy(from, all);
}

/** Marks `conditions` (the rule's root Condition) for `copyEngineRule` once its shape is checked. */
function markForCopy(conditions: unknown): void {
  const sameKeys = (o: object, keys: string[]) => {
    const own = Object.keys(o);
    return Object.getPrototypeOf(o) === conditionPrototype && own.length === keys.length && keys.every((k) => own.includes(k));
  };
  const root = conditions as AllShape;
  if (!sameKeys(root, ['all', 'operator', 'priority']) || !Array.isArray(root.all)) return;
  if (!root.all.every((leaf) => sameKeys(leaf, ['fact', 'operator', 'value', 'priority']))) return;
  Object.defineProperty(root, RULE_COPY, { value: copyEngineRule, enumerable: false });
}

// ---------------------------------------------------------------- a leaf's comparison

const libraryEvaluate = (conditionPrototype as { evaluate(this: unknown, almanac: unknown, operators: unknown): Promise<unknown> }).evaluate;

/**
 * What json-rules-engine's Condition#evaluate answers for a leaf of this module's rule, settled
 * in one promise: the library's asks the almanac for two promises (the fact and the value),
 * joins them with Promise.all and compares in a `then`, four promises and as many microtasks a
 * condition, 36 conditions a household. Here the almanac is the run's `HouseholdAlmanac`, whose
 * values are already known, and the value compared with is a constant (a parameter's is written
 * into the condition): the same operator from the engine's map compares the same two values,
 * and the result has the library's shape. Anything else (another almanac, a value that is a
 * fact reference) goes to the library's own method.
 */
export function evaluateLeaf(this: LeafShape, almanac: unknown, operatorMap: { get(name: string): { evaluate(a: unknown, b: unknown): boolean } | null }): Promise<unknown> {
  const value = this.value;
  if (!(almanac instanceof HouseholdAlmanac) || (value !== null && typeof value === 'object')) return libraryEvaluate.call(this, almanac, operatorMap);
  const op = operatorMap.get(this.operator);
  if (!op) return Promise.reject(new Error(`Unknown operator: ${this.operator}`));
  try {
    const leftHandSideValue = almanac.knownValue(this.fact);
    return Promise.resolve({ result: op.evaluate(leftHandSideValue, value), leftHandSideValue, rightHandSideValue: value, operator: this.operator });
  } catch (err) {
    return Promise.reject(err);
  }
}

// ---------------------------------------------------------------- operators

/**
 * json-rules-engine's own four numeric comparisons, with the same callbacks and a validator that
 * gives the same answer sooner: the library's `Number.parseFloat(x).toString() !== 'NaN'`
 * formats and re-parses every number (3% of a determination's CPU). For a number it is true
 * exactly when the number is not NaN (Infinity included); anything else goes through the
 * library's own test.
 */
function numberValidator(factValue: unknown): boolean {
  if (typeof factValue === 'number') return factValue === factValue;
  return Number.parseFloat(factValue as string).toString() !== 'NaN';
}

const numericOperators = [
  new Operator('lessThan', (a: any, b: any) => a < b, numberValidator),
  new Operator('lessThanInclusive', (a: any, b: any) => a <= b, numberValidator),
  new Operator('greaterThan', (a: any, b: any) => a > b, numberValidator),
  new Operator('greaterThanInclusive', (a: any, b: any) => a >= b, numberValidator),
];

// ---------------------------------------------------------------- engines

/**
 * Settled promises of the values facts and conditions mostly hold (flags, small counts), made
 * once: json-rules-engine asks the almanac for a promise per value it compares, and a settled
 * promise can be awaited by any number of runs.
 */
const SETTLED_TRUE = Promise.resolve(true);
const SETTLED_FALSE = Promise.resolve(false);
const SETTLED_UNDEFINED = Promise.resolve(undefined);
const SETTLED_NULL = Promise.resolve(null);
const SETTLED_COUNTS = Array.from({ length: 64 }, (_, n) => Promise.resolve(n));

function promised(value: unknown): Promise<any> {
  switch (typeof value) {
    case 'boolean': return value ? SETTLED_TRUE : SETTLED_FALSE;
    case 'undefined': return SETTLED_UNDEFINED;
    case 'number': return value >= 0 && value < 64 && Number.isInteger(value) && !Object.is(value, -0) ? SETTLED_COUNTS[value] : Promise.resolve(value);
    default: return value === null ? SETTLED_NULL : Promise.resolve(value);
  }
}

// Not in the library's type declarations; almanac.js has it (a condition's `value`: a constant,
// or `{ fact }` to read one).
const libraryGetValue = (Almanac.prototype as unknown as { getValue(value: unknown): Promise<any> }).getValue;

/**
 * The almanac of one run answers every fact from the household's precomputed fact object, then
 * from the parameters in force. Nothing is registered on the Engine: no Fact objects added to
 * every run's almanac, no cache keys hashed (hash-it was 9% of CPU), no JSONPath. A name that is
 * neither is undefined, as `allowUndefinedFacts` would have it; the loader only lets rules name
 * known facts and parameters.
 */
export class HouseholdAlmanac extends Almanac {
  constructor(private readonly facts: Readonly<Record<string, unknown>>, private readonly parameters: Readonly<Record<string, unknown>>) {
    super({ allowUndefinedFacts: true });
  }

  override factValue(factId: string, params?: Record<string, any>, path?: string): Promise<any> {
    if (path) return super.factValue(factId, params, path);
    return promised(this.knownValue(factId));
  }

  /** A fact's value by name, as `factValue` settles it: the household's, else a parameter's. */
  knownValue(factId: string): unknown {
    const value = this.facts[factId];
    return value !== undefined || !(factId in this.parameters) ? value : this.parameters[factId];
  }

  /** A condition's own value (a parameter's is written into the condition): as the library does. */
  getValue(value: unknown): Promise<any> {
    if (value !== null && typeof value === 'object') return libraryGetValue.call(this, value);
    return promised(value);
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
  run(facts: Readonly<Record<string, unknown>>): Promise<EngineLeaf[]>;
}

function leavesOf(c: CompiledCondition | null, out: Leaf[]): void {
  if (c === null) return;
  if (c.kind === 'leaf') out.push(c);
  else if (c.kind === 'not') leavesOf(c.child, out);
  else for (const child of c.children) leavesOf(child, out);
}

/** A parameter's value written into a condition: numbers, text and flags (and none in force). */
function isInlined(value: unknown): boolean {
  return value === undefined || value === null || typeof value !== 'object';
}

/**
 * Builds the engine for `rules` (the rules of one rule set in force on one date) and the
 * parameter values in force (flat names as the engine reads them: dibaoLine, laborAge.min …).
 *
 * A condition that compares with a parameter gets the parameter's value written into it
 * (`value: 7200` rather than `value: { fact: 'dibaoLine' }`): json-rules-engine then compares
 * with a constant instead of asking the almanac for one more fact per condition. An engine
 * therefore serves one set of parameter values; evaluate.ts keeps one per set in use (a county
 * has one or two) and names the parameter, its value and its date in the explanation itself, as
 * it always did: the engine never recorded where the value came from.
 */
export function buildRuleEngine(rules: CompiledRule[], parameters: Readonly<Record<string, unknown>> = {}): RuleEngine {
  const leaves: Leaf[] = [];
  for (const rule of rules) {
    leavesOf(rule.condition, leaves);
    for (const s of rule.subBenefits) leavesOf(s.condition, leaves);
    for (const t of rule.types) leavesOf(t.condition, leaves);
  }
  const leafIndex = new Map<CompiledCondition, number>();
  const byKey = new Map<string, number>();
  // Every condition has the same priority, so json-rules-engine evaluates all of them (see the
  // head of this file); giving it explicitly spares the library a fact lookup per condition.
  const conditions: { fact: string; operator: string; value: unknown; priority: number }[] = [];
  const householdFacts = new Set<string>();
  const parameterFacts = new Set<string>();
  for (const leaf of leaves) {
    let value: unknown = leaf.value;
    if (leaf.parameter) {
      const name = parameterFact(leaf.parameter);
      value = isInlined(parameters[name]) ? parameters[name] : { fact: name };
      parameterFacts.add(name);
    }
    // `undefined` (a parameter not in force) is kept apart from every value JSON can spell.
    const key = JSON.stringify([leaf.fact, leaf.operator, value === undefined ? { undefined: true } : value]);
    let index = byKey.get(key);
    if (index === undefined) {
      index = conditions.length;
      byKey.set(key, index);
      conditions.push({ fact: leaf.fact, operator: leaf.operator, value, priority: 1 });
      householdFacts.add(leaf.fact);
    }
    leafIndex.set(leaf, index);
  }

  for (const name of householdFacts) {
    if (parameterFacts.has(name)) throw new Error(`${name} is both a fact and a parameter`);
  }
  const engine = new Engine([], { allowUndefinedFacts: true });
  for (const operator of numericOperators) engine.addOperator(operator);
  const rule = new Rule({ name: 'conditions', conditions: { all: conditions as any }, event: { type: 'conditions' } });
  markForCopy(rule.conditions);
  engine.addRule(rule);

  /**
   * json-rules-engine keeps one `status` per Engine, and a run that finishes marks it FINISHED,
   * which stops every other run still in progress on the same Engine: overlapping runs gave
   * households with no eligible category (seen in the export's batch pipeline). Runs on one
   * Engine are therefore chained; parallelism comes from worker threads, each with its own.
   * A run asked for while none is in progress (the usual case: one household at a time) starts
   * at once.
   */
  let inProgress = 0;
  let tail: Promise<unknown> = Promise.resolve();
  const finished = (run: { results: RuleResultLike[]; failureResults: RuleResultLike[] }): EngineLeaf[] => {
    inProgress--;
    return recorded(run);
  };
  const failed = (err: unknown): never => {
    inProgress--;
    throw err;
  };
  const runOnce = (facts: Readonly<Record<string, unknown>>): Promise<EngineLeaf[]> =>
    engine.run({}, { almanac: new HouseholdAlmanac(facts, parameters) }).then(finished, failed);
  return {
    rules, leafIndex,
    run(facts) {
      const result = inProgress === 0 ? runOnce(facts) : tail.then(() => runOnce(facts), () => runOnce(facts));
      inProgress++;
      tail = result;
      return result;
    },
  };
}

/** The recorded conditions of the run's one rule result. */
function recorded({ results, failureResults }: { results: RuleResultLike[]; failureResults: RuleResultLike[] }): EngineLeaf[] {
  const result = results[0] ?? failureResults[0];
  return (result.conditions as unknown as { all: EngineLeaf[] }).all;
}
