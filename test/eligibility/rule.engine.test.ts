import { expect } from 'chai';
import { Engine } from 'json-rules-engine';
import { buildRuleEngine } from '../../src/eligibility/rule.engine';
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
 * 4. Parameters are read by name from the parameters in force, as the rule files write them.
 */
describe('the rule engine', () => {
  const engine = buildRuleEngine(inForce);
  const allLeaves = inForce.flatMap((r) => [r.condition, ...r.subBenefits.map((s) => s.condition), ...r.types.map((t) => t.condition)].flatMap(leaves));

  it('decides a condition that several rules share once (CASE 1)', () => {
    const inPolicy = allLeaves.filter((l) => l.fact === 'inPolicy' && l.value === true);
    expect(inPolicy.length).to.be.greaterThan(5);
    expect(new Set(inPolicy.map((l) => engine.leafIndex.get(l)))).to.have.property('size', 1);
    expect(new Set(engine.leafIndex.values()).size).to.be.lessThan(allLeaves.length);
  });

  it('records every condition with its fact value, the value compared with and the result (CASES 2, 4)', async () => {
    const recorded = await engine.run({ inPolicy: false, perCapitaNetIncome: 5000, headCount: 1 }, { dibaoLine: 7200, monitoringLine: 7500 });
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
    const first = await engine.run({ inPolicy: true }, {});
    const second = await engine.run({ inPolicy: false }, {});
    const i = engine.leafIndex.get(allLeaves.find((l) => l.fact === 'inPolicy' && l.value === true)!)!;
    expect(first[i]).to.include({ factResult: true, result: true });
    expect(second[i]).to.include({ factResult: false, result: false });
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
