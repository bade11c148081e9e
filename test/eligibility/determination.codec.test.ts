import { expect } from 'chai';
import { compactDetermination, expandDetermination, ruleNames, runTemplates, storedDetermination, storedFindings, storedResult } from '../../src/eligibility/determination.codec';
import { evaluateWithFacts } from '../../src/eligibility/evaluate';
import { householdFindings } from '../../src/eligibility/findings';
import { defaultRulesDir, loadRuleSetsFrom } from '../../src/eligibility/ruleset.loader';
import { buildCaseHousehold } from './rule-cases';
import base from '../../rules/default/tests/base.json';

const rules = loadRuleSetsFrom(defaultRulesDir);

/** Households that reach different corners of the determination: an add-on county, no members, no income. */
const CASES = [
  {}, { regionCode: '981122001001', code: '981122001001000009', dibao: true, housingSafe: false }, { members: [] },
  { income: { wage: null, business: null, transfer: null, property: null, productionCost: null } }, { helpers: [], status: 'none', suddenHardship: true },
];

describe('stored determinations', () => {
  it('come back exactly as evaluated (names, reasons, parameters and their dates), stored as ASCII in under two thirds of the bytes', async () => {
    const names = ruleNames(rules);
    for (const overrides of CASES) {
      const household = buildCaseHousehold(base, overrides);
      const { determination: d, facts } = await evaluateWithFacts(household, '2024-06-30', { rules });
      const findings = householdFindings(household, d, facts);
      const text = JSON.stringify(compactDetermination(d));
      expect(expandDetermination(JSON.parse(text), names, findings)).to.deep.equal(JSON.parse(JSON.stringify(d)));
      expect(text).to.match(/^[\x20-\x7e]*$/);
      expect(Buffer.byteLength(text)).to.be.below(Buffer.byteLength(JSON.stringify(d)) * 0.67);
    }
  });

  it('store the determination and findings as JSON bytes that read back the same, and still read JSON text stored earlier', async () => {
    const household = buildCaseHousehold(base, { dibao: true, helpers: [] });
    const { determination: d, facts } = await evaluateWithFacts(household, '2024-06-30', { rules });
    const findings = householdFindings(household, d, facts);
    expect(findings.length).to.be.greaterThan(0);
    const stored = storedResult(d, findings);
    expect(stored.determination).to.be.instanceOf(Uint8Array);
    expect(stored.categories).to.deep.equal(d.categories.filter((c) => c.status === 'eligible').map((c) => c.id));
    expect(stored.findingTypes).to.deep.equal([...new Set(findings.map((f) => f.type))]);
    expect(storedDetermination(stored.determination)).to.deep.equal(JSON.parse(JSON.stringify(compactDetermination(d))));
    expect(storedFindings(stored.findings)).to.deep.equal(findings);
    // As the driver hands a BSON binary back: an object whose buffer holds the bytes.
    expect(storedFindings({ buffer: Buffer.from(stored.findings) })).to.deep.equal(findings);
    expect(storedDetermination(JSON.stringify(compactDetermination(d)))).to.deep.equal(storedDetermination(stored.determination));
    expect(storedFindings(findings)).to.deep.equal(findings);
  });

  it('keep only what varies per household when the run stored the conditions\' template, and come back exactly as evaluated', async () => {
    const names = ruleNames(rules);
    const templates = runTemplates(rules, '2024-06-30');
    for (const overrides of CASES) {
      const household = buildCaseHousehold(base, overrides);
      const { determination: d, facts } = await evaluateWithFacts(household, '2024-06-30', { rules });
      const findings = householdFindings(household, d, facts);
      const short = JSON.stringify(compactDetermination(d, templates));
      const expanded = expandDetermination(JSON.parse(short), names, findings, JSON.parse(JSON.stringify(templates)));
      expect(expanded).to.deep.equal(JSON.parse(JSON.stringify(d)));
      expect(Buffer.byteLength(short)).to.be.below(Buffer.byteLength(JSON.stringify(compactDetermination(d))) * 0.8);
      // Without the template a short form cannot be read: it says so rather than inventing conditions.
      if (short.includes('"short":1')) expect(() => expandDetermination(JSON.parse(short), names, findings)).to.throw(/template/);
    }
  });

  it('fall back to whole conditions for a rule whose conditions do not follow the template', async () => {
    const templates = runTemplates(rules, '2024-06-30');
    const household = buildCaseHousehold(base, {});
    const { determination: d, facts } = await evaluateWithFacts(household, '2024-06-30', { rules });
    const altered = JSON.parse(JSON.stringify(templates));
    altered[d.categories[0].id][0][1] = 'notEqual';
    const stored = JSON.parse(JSON.stringify(compactDetermination(d, altered)));
    expect(stored.categories[0]).to.not.have.property('short');
    expect(stored.categories[1]).to.have.property('short', 1);
    expect(expandDetermination(stored, ruleNames(rules), householdFindings(household, d, facts), altered)).to.deep.equal(JSON.parse(JSON.stringify(d)));
  });
});
