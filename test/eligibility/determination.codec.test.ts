import { expect } from 'chai';
import {
  compactDetermination, expandDetermination, findingContext, ruleNames, runShared, runTemplates, sharedOfRun, storedDetermination, storedFindings, storedResult,
  type ConditionTemplates, type RunShared, type StoredDetermination,
} from '../../src/eligibility/determination.codec';
import { evaluateWithFacts, type Determination } from '../../src/eligibility/evaluate';
import { householdFindings, type Finding } from '../../src/eligibility/findings';
import { defaultRulesDir, loadRuleSetsFrom, type LoadedRules } from '../../src/eligibility/ruleset.loader';
import { listResults, createRun, executeRun } from '../../src/eligibility/run.service';
import { RunModel, ResultModel } from '../../src/eligibility/run.model';
import { generateCounty } from '../../src/ledger/synthetic-county';
import { createHousehold, getHousehold } from '../../src/registry/household.service';
import type { Household } from '../../src/registry/household.types';
import { systemActor } from '../../src/users/actor';
import { buildHousehold, buildMember } from '../helpers/builders';
import { resetDatabase } from '../helpers/db';
import { buildCaseHousehold } from './rule-cases';
import base from '../../rules/default/tests/base.json';

const rules = loadRuleSetsFrom(defaultRulesDir);
const ASOF = '2024-06-30';

/** Only the conditions' templates, as a run stored before it also recorded its rule set and parameters. */
const templatesOnly = (templates: ConditionTemplates): RunShared => ({ templates, ruleSet: null, parameters: null });

/** A rule case's household (rules/default/tests): the base household with `overrides`. */
const caseHousehold = (overrides: Record<string, unknown>): Household => buildCaseHousehold(base, overrides) as unknown as Household;

/** A value as the database gives it back: what a run document records is plain JSON. */
const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

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
      expect(JSON.stringify(expandDetermination(JSON.parse(text), names, findings))).to.equal(JSON.stringify(d));
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
    const context = findingContext(stored, { asOf: d.asOf, ruleNames: ruleNames(rules) });
    expect(JSON.stringify(storedFindings(stored.findings, context))).to.equal(JSON.stringify(findings));
    // As the driver hands a BSON binary back: an object whose buffer holds the bytes.
    expect(storedFindings({ buffer: Buffer.from(stored.findings) }, context)).to.deep.equal(findings);
    expect(storedDetermination(JSON.stringify(compactDetermination(d)))).to.deep.equal(storedDetermination(stored.determination));
    // Findings stored before they were short: whole objects, read without a context.
    expect(storedFindings(findings)).to.deep.equal(findings);
    expect(storedFindings(Buffer.from(JSON.stringify(findings)))).to.deep.equal(findings);
  });

  it('store findings without what the result and the run say (household, region, rule, an enrolment reason), and read them back as they were', async () => {
    const names = ruleNames(rules);
    let enrolment = 0;
    let dataChecks = 0;
    let withIds = 0;
    for (const household of generateCounty({ households: 300, seed: 7, asOf: ASOF }).households()) {
      // Damaged records, so that data checks fail too (a bad ID number, no helper).
      if (household.code.endsWith('7')) household.members[0].idNumber = '110101199001011234';
      if (household.code.endsWith('3')) household.helpers = [];
      const { determination: d, facts } = await evaluateWithFacts(household, ASOF, { rules });
      const findings = householdFindings(household, d, facts);
      const stored = storedResult(d, findings, runShared(rules, '', ASOF));
      const text = Buffer.from(stored.findings).toString('utf8');
      const back = storedFindings(stored.findings, findingContext(stored, { asOf: ASOF, ruleNames: names }));
      expect(JSON.stringify(back), household.code).to.equal(JSON.stringify(findings));
      for (const f of JSON.parse(text) as unknown[]) {
        expect(f, 'every finding the service makes is short').to.be.an('array');
        if (['enrolled-not-eligible', 'eligible-not-enrolled'].includes((f as string[])[0])) {
          expect(f).to.have.length(2);
          enrolment++;
        } else {
          dataChecks++;
          if ((f as unknown[]).length === 3) withIds++;
        }
      }
      expect(text).to.not.include(household.code);
    }
    expect(enrolment, 'enrolment findings').to.be.greaterThan(100);
    expect(dataChecks, 'data-check findings').to.be.greaterThan(20);
    expect(withIds, 'findings naming ID numbers').to.be.greaterThan(5);
  });

  it("store each counted member's id once and the lists as indexes, and read them back as evaluated", async () => {
    const names = ruleNames(rules);
    const shared = runShared(rules, '', ASOF);
    let lists = 0;
    for (const household of generateCounty({ households: 200, seed: 5, asOf: ASOF }).households()) {
      household.members.forEach((m, i) => ((m as { id?: string }).id = `${household.code.slice(-6)}${String(i).padStart(2, '0')}`.padStart(24, 'a')));
      const { d, findings, back } = await storeAndExpand(rules, household, shared);
      expect(JSON.stringify(back), household.code).to.equal(JSON.stringify(d));
      const text = Buffer.from(storedResult(d, findings, shared).determination).toString('utf8');
      for (const m of household.members) expect(text.split((m as { id?: string }).id!).length - 1, 'times an id is stored').to.be.at.most(1);
      lists += d.categories.filter((c) => c.members.length > 0).length;
    }
    expect(lists, 'categories with counted members').to.be.greaterThan(200);

    // Two lists that disagree on a member's id: the second is kept as it was.
    const { determination: d } = await evaluateWithFacts(caseHousehold({ dibao: true }), ASOF, { rules });
    const counted = d.categories.filter((c) => c.members.length > 0);
    expect(counted.length).to.be.at.least(2);
    counted[0].members = [{ index: 0, id: 'one' }];
    counted[1].members = [{ index: 0, id: 'other' }];
    const stored = compactDetermination(d, shared);
    expect(stored.categories.find((c) => c.id === counted[1].id)!.members).to.deep.equal([{ index: 0, id: 'other' }]);
    expect(JSON.stringify(expandDetermination(roundTrip(stored), names, [], roundTrip(shared)))).to.equal(JSON.stringify(d));
  });

  it('store whole a finding that does not follow the short form, and refuse to guess a short one without its result and run', async () => {
    const household = buildCaseHousehold(base, { dibao: true, helpers: [] });
    const { determination: d, facts } = await evaluateWithFacts(household, ASOF, { rules });
    const findings = householdFindings(household, d, facts);
    const odd: Finding = { ...findings[findings.length - 1], reason: '另行核实' };
    const stored = storedResult(d, [...findings, odd]);
    const raw = JSON.parse(Buffer.from(stored.findings).toString('utf8')) as unknown[];
    expect(raw[raw.length - 1]).to.deep.equal(odd);
    expect(storedFindings(stored.findings, findingContext(stored, { asOf: ASOF, ruleNames: ruleNames(rules) }))).to.deep.equal([...findings, odd]);
    expect(() => storedFindings(stored.findings)).to.throw(/needs its result and run/);
  });

  it('keep only what varies per household when the run stored the conditions\' template, and come back exactly as evaluated', async () => {
    const names = ruleNames(rules);
    const templates = runTemplates(rules, '2024-06-30');
    for (const overrides of CASES) {
      const household = buildCaseHousehold(base, overrides);
      const { determination: d, facts } = await evaluateWithFacts(household, '2024-06-30', { rules });
      const findings = householdFindings(household, d, facts);
      const short = JSON.stringify(compactDetermination(d, templatesOnly(templates)));
      const expanded = expandDetermination(JSON.parse(short), names, findings, templatesOnly(roundTrip(templates)));
      expect(JSON.stringify(expanded)).to.equal(JSON.stringify(d));
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
    const stored = JSON.parse(JSON.stringify(compactDetermination(d, templatesOnly(altered))));
    expect(stored.categories[0]).to.not.have.property('short');
    expect(stored.categories[1]).to.have.property('short', 1);
    expect(JSON.stringify(expandDetermination(stored, ruleNames(rules), householdFindings(household, d, facts), templatesOnly(altered)))).to.equal(JSON.stringify(d));
  });

  it('leave out what the run records once, and come back byte for byte (synthetic counties, missing facts, an add-on county)', async () => {
    const counties: { county: string; households: Household[] }[] = [];
    for (const county of ['421199', '981122']) {
      const households = [...generateCounty({ households: 200, seed: 11, county, asOf: ASOF }).households()];
      // Records the rules cannot fully decide: missing incomes, missing birth dates.
      for (const h of households.slice(0, 20)) h.income = { wage: null, business: null, transfer: null, property: null, productionCost: null } as unknown as Household['income'];
      for (const h of households.slice(20, 40)) for (const m of h.members) (m as { birthDate: string | null }).birthDate = null;
      counties.push({ county, households });
    }
    let withMissing = 0;
    let ownRuleSet = 0;
    let bytes = 0;
    let templateBytes = 0;
    for (const { county, households } of counties) {
      const shared = runShared(rules, county, ASOF);
      for (const household of households) {
        const { d, findings, stored, back } = await storeAndExpand(rules, household, shared);
        expect(JSON.stringify(back)).to.equal(JSON.stringify(d));
        // Every household of the county has its run's parameters and rule set: none stores them.
        expect(stored).to.not.have.any.keys('parameters', 'ruleSet');
        for (const c of stored.categories) {
          if (c.ruleSet !== undefined) ownRuleSet++;
          expect(c.ruleSet, c.id).to.equal(county === '981122' && c.id === 'housing-renovation' ? 'county-981122' : undefined);
        }
        for (const r of [...stored.categories, ...stored.checks, ...stored.dataChecks, stored.monitoringCandidate]) {
          if (r.missingFacts !== undefined) {
            expect(r.missingFacts).to.have.length.above(0);
            withMissing++;
          }
        }
        bytes += storedResult(d, findings, shared).determination.byteLength;
        templateBytes += Buffer.byteLength(JSON.stringify(compactDetermination(d, templatesOnly(shared.templates!))));
      }
    }
    expect(withMissing, 'results with missing facts').to.be.greaterThan(40);
    expect(ownRuleSet, "the add-on county's categories").to.equal(200);
    expect(bytes).to.be.below(templateBytes * 0.8);

    for (const overrides of CASES) {
      const household = caseHousehold(overrides);
      const { d, back } = await storeAndExpand(rules, household, runShared(rules, '3607', ASOF));
      expect(JSON.stringify(back)).to.equal(JSON.stringify(d));
    }
  });

  it("keep the parameters of a household under a more specific override or a sub-region's rule set, and the rule set of another run", async () => {
    // A run over province 98 (its own 低保 line); county 981122 overrides it again and adds rules.
    const shared = runShared(rules, '98', ASOF);
    const inProvince = caseHousehold({ regionCode: '980101001001', code: '980101001001000001' });
    const inCounty = caseHousehold({ regionCode: '981122001001', code: '981122001001000001' });
    const province = await storeAndExpand(rules, inProvince, shared);
    const county = await storeAndExpand(rules, inCounty, shared);
    expect(province.stored).to.not.have.property('parameters');
    expect(county.stored.parameters?.dibaoLine).to.deep.equal({ value: 8100, effectiveFrom: '2024-01-01', region: '981122' });
    expect(province.back.parameters.dibaoLine).to.deep.equal({ value: 7800, effectiveFrom: '2024-01-01', region: '98' });
    expect(JSON.stringify(province.back)).to.equal(JSON.stringify(province.d));
    expect(JSON.stringify(county.back)).to.equal(JSON.stringify(county.d));
    // A run recorded under other rules (another hash) keeps the household's own rule set.
    const other = await storeAndExpand(rules, inProvince, { ...shared, ruleSet: { ...shared.ruleSet!, hash: 'other' } });
    expect(other.stored.ruleSet).to.deep.equal(province.d.ruleSet);
    expect(JSON.stringify(other.back)).to.equal(JSON.stringify(province.d));
  });

  it('say so rather than invent what was left out when the run did not record it', async () => {
    const household = caseHousehold({});
    const shared = runShared(rules, '3607', ASOF);
    const { stored, findings } = await storeAndExpand(rules, household, shared);
    expect(() => expandDetermination(stored, ruleNames(rules), findings, { ...shared, parameters: null })).to.throw(/parameters/);
    expect(() => expandDetermination(stored, ruleNames(rules), findings, { ...shared, ruleSet: null })).to.throw(/rule set/);
  });

  it('still expand, byte for byte, results stored before they left anything out (old runs)', async () => {
    const names = ruleNames(rules);
    const templates = runTemplates(rules, ASOF);
    for (const overrides of [...CASES, { regionCode: '981122001001', code: '981122001001000002', income: { wage: null } }]) {
      const household = caseHousehold(overrides);
      const { determination: d, facts } = await evaluateWithFacts(household, ASOF, { rules });
      const findings = householdFindings(household, d, facts);
      for (const run of [{ conditionTemplates: templates, ruleSet: d.ruleSet }, {}]) {
        const before = roundTrip(storedBefore(d, run.conditionTemplates ?? null));
        expect(before).to.have.property('parameters');
        expect(JSON.stringify(expandDetermination(before, names, findings, sharedOfRun(roundTrip(run))))).to.equal(JSON.stringify(d));
      }
    }
  });

  describe('of a run', function () {
    this.timeout(60_000);
    const households: Household[] = [];

    before(async () => {
      await resetDatabase();
      for (const regionCode of ['980101001001', '980101001002', '981122001001']) {
        households.push(await createHousehold(systemActor, buildHousehold({ regionCode, dibao: true })));
        households.push(await createHousehold(systemActor, buildHousehold({
          regionCode, members: [buildMember({ disability: { category: 'physical', grade: 2 } }), buildMember({ relation: 'son', schooling: 'junior', birthDate: null })],
        })));
      }
    });

    for (const workers of [0, 2]) {
      it(`record the province's parameters once and list every result as evaluated (${workers} worker threads)`, async () => {
        const { id } = await createRun(systemActor, { regionCode: '980000000000', asOf: ASOF });
        await executeRun(id, { workers });
        const run = await RunModel.findById(id).lean<any>();
        expect(run.householdParameters.map((e: unknown[]) => e[0])).to.include('microloan.age');
        const docs = await ResultModel.find({ runId: id }).lean<any[]>();
        const keptParameters = docs.filter((doc) => 'parameters' in storedDetermination(doc.determination)).map((doc) => doc.regionCode);
        expect(keptParameters).to.deep.equal(['981122001001', '981122001001']);
        const { items } = await listResults(systemActor, id, { page: 1, limit: 100 });
        expect(items).to.have.length(households.length);
        for (const item of items) {
          const household = await getHousehold(systemActor, item.householdCode);
          const { determination } = await evaluateWithFacts(household, ASOF, { rules: rules as LoadedRules });
          expect(JSON.stringify(item.determination), item.householdCode).to.equal(JSON.stringify(determination));
        }
      });
    }
  });
});

async function storeAndExpand(loaded: LoadedRules, household: Household, shared: RunShared) {
  const { determination: d, facts } = await evaluateWithFacts(household, ASOF, { rules: loaded });
  const findings: Finding[] = householdFindings(household, d, facts);
  const stored = storedDetermination(storedResult(d, findings, shared).determination);
  const back = expandDetermination(stored, ruleNames(loaded), findings, roundTrip(shared));
  return { d, findings, stored, back };
}

/** A determination as results were stored before they left anything out: every field, in this order. */
function storedBefore(d: Determination, templates: ConditionTemplates | null): StoredDetermination {
  const now = compactDetermination(d, templates ? templatesOnly(templates) : undefined);
  const rule = (c: StoredDetermination['checks'][number], missingFacts: string[]) => ({ id: c.id, status: c.status, missingFacts, conditions: c.conditions, ...(c.short ? { short: c.short } : {}) });
  const m = now.monitoringCandidate;
  return {
    asOf: now.asOf, householdCode: now.householdCode, regionCode: now.regionCode, ruleSet: d.ruleSet, additions: now.additions, inPolicy: now.inPolicy, memberCount: now.memberCount,
    categories: now.categories.map((c, i) => ({
      id: c.id, status: c.status, persons: c.persons, members: c.members, missingFacts: d.categories[i].missingFacts, ruleSet: d.categories[i].ruleSet,
      conditions: c.conditions, ...(c.short ? { short: c.short } : {}), subBenefits: c.subBenefits,
    })),
    checks: now.checks.map((c, i) => rule(c, d.checks[i].missingFacts)),
    monitoringCandidate: { candidate: m.candidate, type: m.type, status: m.status, missingFacts: d.monitoringCandidate.missingFacts, conditions: m.conditions, ...(m.short ? { short: m.short } : {}) },
    dataChecks: now.dataChecks.map((c, i) => rule(c, d.dataChecks[i].missingFacts)),
    parameters: d.parameters,
  };
}
