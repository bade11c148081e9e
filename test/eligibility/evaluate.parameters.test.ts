/**
 * Parameters in force as the explanation gives them (src/eligibility/evaluate.ts): the engine of a
 * region and date compares with that region's values, written into its conditions, and the
 * explanation names the parameter, its value, its effective date and the region that set it.
 *
 * CASES
 * 1. The same household alternately in a province with its own 低保 line and elsewhere, and on
 *    an earlier date: each determination compares with its own value and says where it came from.
 * 2. A determination lists every parameter the rules in force read, by name, with the same values.
 */
import { expect } from 'chai';
import { evaluateHousehold, type ConditionResult, type Determination } from '../../src/eligibility/evaluate';
import { buildCaseHousehold } from './rule-cases';
import base from '../../rules/default/tests/base.json';

/** 7500 a head: below the province's 7800, above the national 7200. */
const household = buildCaseHousehold(base, { income: { wage: 15000, business: 0, transfer: 0, property: 0, productionCost: 0 } });
const inRegion = (regionCode: string) => ({ ...household, regionCode, code: `${regionCode}000001` });

function dibaoCondition(d: Determination): ConditionResult {
  const all = [...d.categories, ...d.checks, ...d.dataChecks].flatMap((r) => r.conditions);
  const found = all.find((c) => c.parameter?.name === 'dibaoLine');
  expect(found, 'a condition reading dibaoLine').to.not.equal(undefined);
  return found!;
}

describe('evaluate: parameters in force per region and date', () => {
  it('compares with each region\'s and date\'s own value, interleaved (CASE 1)', async () => {
    const order = ['360721001001', '980101001001', '360721001001', '980101001001'];
    const results = [];
    for (const regionCode of order) results.push(await evaluateHousehold(inRegion(regionCode), '2024-06-30'));
    const earlier = await evaluateHousehold(inRegion('980101001001'), '2020-06-30');
    const national = { fact: 'perCapitaNetIncome', factValue: 7500, value: 7200, parameter: { name: 'dibaoLine', effectiveFrom: '2024-01-01', region: null }, result: false };
    const province = { fact: 'perCapitaNetIncome', factValue: 7500, value: 7800, parameter: { name: 'dibaoLine', effectiveFrom: '2024-01-01', region: '98' }, result: true };
    for (let i = 0; i < order.length; i++) expect(dibaoCondition(results[i])).to.deep.include(i % 2 === 0 ? national : province);
    expect(dibaoCondition(earlier)).to.deep.include({ value: 5000, parameter: { name: 'dibaoLine', effectiveFrom: '2020-01-01', region: null }, result: false });
  });

  it('lists the parameters read, with the values compared with (CASE 2)', async () => {
    const d = await evaluateHousehold(inRegion('980101001001'), '2024-06-30');
    expect(Object.keys(d.parameters)).to.deep.equal(Object.keys(d.parameters).sort());
    expect(d.parameters.dibaoLine).to.deep.equal({ value: 7800, effectiveFrom: '2024-01-01', region: '98' });
    expect(d.parameters).to.have.property('laborAge');
    for (const c of [...d.categories, ...d.checks, ...d.dataChecks].flatMap((r) => r.conditions)) {
      if (c.parameter && typeof d.parameters[c.parameter.name].value === 'number') expect(c.value).to.equal(d.parameters[c.parameter.name].value);
    }
  });
});
