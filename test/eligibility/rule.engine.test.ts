import { expect } from 'chai';
import { Engine } from 'json-rules-engine';
import { buildRuleEngine, evaluateLeaf, HouseholdAlmanac } from '../../src/eligibility/rule.engine';
import { computeFacts } from '../../src/eligibility/facts';
import { generateCounty } from '../../src/ledger/synthetic-county';
import { defaultRulesDir, loadRuleSetsFrom, rulesInForce, type CompiledCondition } from '../../src/eligibility/ruleset.loader';

const rules = loadRuleSetsFrom(defaultRulesDir);
const inForce = rulesInForce(rules.base, '2024-06-30');

function leaves(c: CompiledCondition | null): Extract<CompiledCondition, { kind: 'leaf' }>[] {
  if (c === null) return [];
  if (c.kind === 'leaf') return [c];
  if (c.kind === 'not') return leaves(c.child);
  return c.children.flatMap(leaves);
}

/**
 * CASES
 * 1. A condition several rules share (inPolicy = true) is one engine condition.
 * 2. Every condition is decided and recorded, even when an earlier one already fails: the
 *    explanation needs each fact value (json-rules-engine only short-circuits between priorities).
 * 3. Each run records into its own copy: a later run does not change what an earlier one returned.
 * 4. The parameters in force are written into the conditions that compare with them; a parameter
 *    not in force leaves nothing to compare with. Engines built for other values are separate.
 * 5. The numeric operators answer as json-rules-engine's own, for every kind of fact value.
 * 6. Overlapping runs on one engine are chained, each with its own facts.
 * 7. A leaf's comparison settled at once (`evaluateLeaf`) answers what json-rules-engine's own
 *    Condition#evaluate answers, for every condition of the rules and every kind of fact value.
 */
describe('the rule engine', () => {
  const engine = buildRuleEngine(inForce, { dibaoLine: 7200, monitoringLine: 7500 });
  const allLeaves = inForce.flatMap((r) => [r.condition, ...r.subBenefits.map((s) => s.condition), ...r.types.map((t) => t.condition)].flatMap(leaves));

  it('decides a condition that several rules share once (CASE 1)', () => {
    const inPolicy = allLeaves.filter((l) => l.fact === 'inPolicy' && l.value === true);
    expect(inPolicy.length).to.be.greaterThan(5);
    expect(new Set(inPolicy.map((l) => engine.leafIndex.get(l)))).to.have.property('size', 1);
    expect(new Set(engine.leafIndex.values()).size).to.be.lessThan(allLeaves.length);
  });

  it('records every condition with its fact value, the value compared with and the result (CASES 2, 4)', async () => {
    const recorded = await engine.run({ inPolicy: false, perCapitaNetIncome: 5000, headCount: 1 });
    const size = new Set(engine.leafIndex.values()).size;
    expect(recorded).to.have.length(size);
    for (const leaf of recorded) expect(leaf).to.have.property('result').that.is.a('boolean');
    const at = (fact: string, operator: string) => recorded[engine.leafIndex.get(allLeaves.find((l) => l.fact === fact && l.operator === operator)!)!];
    expect(at('inPolicy', 'equal')).to.include({ factResult: false, result: false });
    const belowDibao = at('perCapitaNetIncome', 'lessThan');
    expect(belowDibao.factResult).to.equal(5000);
    expect([7200, 7500]).to.include(belowDibao.valueResult);
    expect(belowDibao.result).to.equal(true);
    expect(at('headCount', 'notEqual')).to.include({ factResult: 1, result: false });
  });

  it('gives each run its own record (CASE 3)', async () => {
    const first = await engine.run({ inPolicy: true });
    const second = await engine.run({ inPolicy: false });
    const i = engine.leafIndex.get(allLeaves.find((l) => l.fact === 'inPolicy' && l.value === true)!)!;
    expect(first[i]).to.include({ factResult: true, result: true });
    expect(second[i]).to.include({ factResult: false, result: false });
  });

  it('compares with the parameter values it was built for, and with nothing for one not in force (CASE 4)', async () => {
    const dibao = allLeaves.find((l) => l.fact === 'perCapitaNetIncome' && l.parameter?.name === 'dibaoLine')!;
    const lower = buildRuleEngine(inForce, { dibaoLine: 4000, monitoringLine: 7500 });
    const none = buildRuleEngine(inForce, { monitoringLine: 7500 });
    const facts = { perCapitaNetIncome: 5000 };
    const [a, b, c] = [await engine.run(facts), await lower.run(facts), await none.run(facts)];
    expect(a[engine.leafIndex.get(dibao)!]).to.include({ valueResult: 7200, result: true });
    expect(b[lower.leafIndex.get(dibao)!]).to.include({ valueResult: 4000, result: false });
    expect(c[none.leafIndex.get(dibao)!]).to.include({ valueResult: undefined, result: false });
  });

  it('answers the numeric operators as json-rules-engine\'s own do (CASE 5)', async () => {
    const factValues: unknown[] = [0, -0, 3, 2.5, -1, 1e21, NaN, Infinity, -Infinity, '3', '3abc', 'abc', '', true, false, null, undefined, [5], [], {}, 64, 63];
    const operators = ['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive'];
    const library = new Engine([], { allowUndefinedFacts: true });
    library.addRule({
      name: 'library', event: { type: 'x' },
      conditions: { all: operators.map((operator) => ({ fact: 'x', operator, value: 3, priority: 1 })) },
    });
    const ours = buildRuleEngine([{
      ...inForce[0], key: 'numeric@test', subBenefits: [], types: [],
      condition: { kind: 'all', children: operators.map((operator) => ({ kind: 'leaf' as const, fact: 'x', operator, value: 3, parameter: null })) },
    }]);
    for (const x of factValues) {
      const { results, failureResults } = await library.run({ x });
      const expected = ((results[0] ?? failureResults[0]).conditions as unknown as { all: { result: boolean }[] }).all.map((c) => c.result);
      const got = (await ours.run({ x })).map((c) => c.result);
      expect(got, String(x)).to.deep.equal(expected);
    }
  });

  it('chains overlapping runs, each deciding its own household (CASE 6)', async () => {
    const i = engine.leafIndex.get(allLeaves.find((l) => l.fact === 'inPolicy' && l.value === true)!)!;
    const runs = await Promise.all([true, false, undefined, true].map((inPolicy) => engine.run({ inPolicy })));
    expect(runs.map((r) => r[i].result)).to.deep.equal([true, false, false, true]);
    expect(runs.map((r) => r[i].factResult)).to.deep.equal([true, false, undefined, true]);
    expect(new Set(runs).size).to.equal(4);
  });

  it('settles a leaf\'s comparison at once with the library\'s own answer (CASE 7)', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Condition = (require('json-rules-engine/dist/condition') as { default: new (c: object) => object }).default;
    const libraryEvaluate = (Condition.prototype as { evaluate(this: object, almanac: unknown, operators: unknown): Promise<unknown> }).evaluate;
    const operators = (new Engine([], { allowUndefinedFacts: true }) as unknown as { operators: unknown }).operators;
    const parameters = { dibaoLine: 7200, monitoringLine: 7500, 'laborAge.min': 16 };
    const factObjects: Record<string, unknown>[] = [];
    for (const h of generateCounty({ households: 150, seed: 3, asOf: '2024-06-30' }).households()) {
      factObjects.push(computeFacts(h, '2024-06-30', { dibaoLine: 7200, monitoringLine: 7500, laborAge: { min: 16, max: 60 } }).values);
    }
    // Every fact at values a record may hold and some it should not.
    for (const odd of [undefined, null, 0, -1, 7200, Number.NaN, Infinity, '7200', 'text', '', true, false, [1, 2]]) {
      factObjects.push(Object.fromEntries(allLeaves.map((l) => [l.fact, odd])));
    }
    const constants = [...new Map(allLeaves.map((l) => [JSON.stringify([l.fact, l.operator, l.parameter ? 7200 : l.value]), l])).values()];
    let compared = 0;
    for (const facts of factObjects) {
      const almanac = new HouseholdAlmanac(facts, parameters);
      for (const l of constants) {
        const condition = new Condition({ fact: l.fact, operator: l.operator, value: l.parameter ? 7200 : l.value, priority: 1 });
        const settle = (p: Promise<unknown>) => p.then((v) => ({ ok: v }), (e: Error) => ({ error: e.message }));
        const [ours, library] = await Promise.all([settle(evaluateLeaf.call(condition as never, almanac, operators as never)), settle(libraryEvaluate.call(condition, almanac, operators))]);
        expect(ours, `${l.fact} ${l.operator} ${JSON.stringify(facts[l.fact])}`).to.deep.equal(library);
        compared++;
      }
    }
    expect(compared).to.be.greaterThan(4000);
  });

  it('leaves json-rules-engine\'s own copy to anything that is not plain data', async () => {
    // An event carrying a Date is not what rule files hold; the library's RuleResult copies it.
    const e = new Engine([], { allowUndefinedFacts: true });
    const when = new Date('2024-06-30T00:00:00Z');
    e.addRule({ name: 'r', conditions: { all: [{ fact: 'x', operator: 'equal', value: 1 }] }, event: { type: 't', params: { when } } });
    const { results } = await e.run({ x: 1 });
    expect(results).to.have.length(1);
    const params = results[0].event!.params as { when: Date };
    expect(params.when).to.be.instanceOf(Date);
    expect(params.when).to.not.equal(when);
    expect(params.when.getTime()).to.equal(when.getTime());
  });
});
