import { expect } from 'chai';
import { compactDetermination, expandDetermination } from '../../src/eligibility/determination.codec';
import { evaluateHousehold } from '../../src/eligibility/evaluate';
import { defaultRulesDir, loadRuleSetsFrom } from '../../src/eligibility/ruleset.loader';
import { buildCaseHousehold } from './rule-cases';
import base from '../../rules/default/tests/base.json';

const rules = loadRuleSetsFrom(defaultRulesDir);

describe('stored determinations', () => {
  it('come back exactly as evaluated, parameters and their dates included, in about two thirds of the bytes', async () => {
    for (const overrides of [{}, { regionCode: '421122001001', code: '421122001001000009', dibao: true }, { members: [] }, { income: { wage: null, business: null, transfer: null, property: null, productionCost: null } }]) {
      const d = await evaluateHousehold(buildCaseHousehold(base, overrides), '2024-06-30', { rules });
      const stored = JSON.parse(JSON.stringify(compactDetermination(d)));
      expect(expandDetermination(stored)).to.deep.equal(JSON.parse(JSON.stringify(d)));
      expect(JSON.stringify(stored).length).to.be.below(JSON.stringify(d).length * 0.7);
    }
  });
});
