import { expect } from 'chai';
import { compactDetermination, expandDetermination, ruleNames } from '../../src/eligibility/determination.codec';
import { evaluateWithFacts } from '../../src/eligibility/evaluate';
import { householdFindings } from '../../src/eligibility/findings';
import { defaultRulesDir, loadRuleSetsFrom } from '../../src/eligibility/ruleset.loader';
import { buildCaseHousehold } from './rule-cases';
import base from '../../rules/default/tests/base.json';

const rules = loadRuleSetsFrom(defaultRulesDir);

describe('stored determinations', () => {
  it('come back exactly as evaluated (names, reasons, parameters and their dates), stored as ASCII in under two thirds of the bytes', async () => {
    const names = ruleNames(rules);
    const cases = [
      {}, { regionCode: '981122001001', code: '981122001001000009', dibao: true, housingSafe: false }, { members: [] },
      { income: { wage: null, business: null, transfer: null, property: null, productionCost: null } }, { helpers: [], status: 'none', suddenHardship: true },
    ];
    for (const overrides of cases) {
      const household = buildCaseHousehold(base, overrides);
      const { determination: d, facts } = await evaluateWithFacts(household, '2024-06-30', { rules });
      const findings = householdFindings(household, d, facts);
      const text = JSON.stringify(compactDetermination(d));
      expect(expandDetermination(JSON.parse(text), names, findings)).to.deep.equal(JSON.parse(JSON.stringify(d)));
      expect(text).to.match(/^[\x20-\x7e]*$/);
      expect(Buffer.byteLength(text)).to.be.below(Buffer.byteLength(JSON.stringify(d)) * 0.67);
    }
  });
});
