/**
 * Eligibility over HTTP: evaluate, a household's eligibility, runs (progress, summary, results,
 * findings workbook) and the rules in force.
 *
 * The run fixture, hand-counted on 2024-06-30 in county 981122 (its 低保 line is the county's
 * 8100, and its rule set adds 危房改造):
 *   A poor, 2 persons aged 45/43, wants industry       → industry, microloan, insurance 2
 *   B poor 低保, head 70 chronic, spouse 68, grandson 10 in primary (income 15900 ÷ 3 = 5300)
 *                                                       → guarantee 3, chronic 1, health 3, education 1, insurance 3; income check fails
 *   C exited, income 6000 ÷ 2 = 3000, enrolled in insurance → candidate unstable; enrolled-not-eligible
 *   D none, sudden hardship, income 7950                → candidate sudden
 *   E poor, 1 person grade 2 disabled, unsafe water     → disability 1 (severe 1), health 1, insurance 1; water check fails
 *   F poor (other village), unsafe house, 2 persons      → insurance 2, 危房改造; housing check fails
 *   G exited (other village), loaded before validation: A's head again and a wrong check digit
 * In policy: A B E F = 4 households, 8 persons.
 */
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import request from 'supertest';
import { createApp } from '../../src/app';
import { AuditModel } from '../../src/audit/audit.model';
import { ResultModel, RunModel } from '../../src/eligibility/run.model';
import { HouseholdModel } from '../../src/registry/household.model';
import { createHousehold } from '../../src/registry/household.service';
import type { Household } from '../../src/registry/household.types';
import { systemActor } from '../../src/users/actor';
import { tokenFor } from '../helpers/auth';
import { binary } from '../helpers/binary';
import { buildHousehold as buildHouseholdIn, buildMember } from '../helpers/builders';
import { resetDatabase } from '../helpers/db';
import { makeIdNumber, withWrongCheckDigit } from '../helpers/id-numbers';

/** The example county of rules/counties/981122, whose own rule set and 低保 line these tests exercise. */
const VILLAGE = '981122001001';
const buildHousehold = (overrides: Parameters<typeof buildHouseholdIn>[0] = {}) => buildHouseholdIn({ regionCode: VILLAGE, ...overrides });

const COUNTY = '981122000000';
const OTHER_VILLAGE = '981122001002';
const app = createApp();
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const insurance = [{ category: 'property-insurance' as const, since: '2020-01-01', until: null, amount: 100 }];
let seq = 100;
const person = (birthDate: string, overrides: Parameters<typeof buildMember>[0] = {}) =>
  buildMember({ idNumber: makeIdNumber(birthDate, seq += 2), birthDate, ...overrides });

async function waitForRun(token: string, id: string) {
  for (let i = 0; i < 200; i++) {
    const res = await request(app).get(`/api/v1/eligibility/runs/${id}`).set(bearer(token));
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    if (res.body.status === 'done' || res.body.status === 'failed') return res.body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the run did not finish');
}

describe('eligibility routes', () => {
  let county: string;
  let auditor: string;
  let village: string;
  let otherCounty: string;
  const codes: Record<string, string> = {};

  before(async function () {
    this.timeout(60_000);
    await resetDatabase();
    [county, auditor, village, otherCounty] = await Promise.all([
      tokenFor('county', [COUNTY]),
      tokenFor('auditor', [COUNTY]),
      tokenFor('village', [VILLAGE]),
      tokenFor('county', ['421123000000']),
    ]);
    const fixtures: Record<string, Household> = {
      A: buildHousehold({ supports: insurance, members: [person('1979-03-01', { relation: 'head' }), person('1981-05-20', { relation: 'spouse', gender: 'female' })] }),
      B: buildHousehold({
        dibao: true, wantsIndustry: false, supports: insurance,
        members: [
          person('1954-01-01', { relation: 'head', labor: 'lost', health: 'chronic' }),
          person('1956-01-01', { relation: 'spouse', labor: 'lost' }),
          person('2014-01-01', { relation: 'grandson', labor: 'none', schooling: 'primary' }),
        ],
      }),
      C: buildHousehold({ status: 'exited', supports: insurance, income: { wage: 6000, business: 0, transfer: 0, property: 0, productionCost: 0 }, members: [person('1970-01-01'), person('1972-01-01', { relation: 'spouse' })] }),
      D: buildHousehold({ status: 'none', suddenHardship: true, supports: [], members: [person('1975-01-01'), person('1977-01-01', { relation: 'spouse' })] }),
      E: buildHousehold({
        wantsIndustry: false, waterSafe: false, supports: insurance,
        members: [person('1974-01-01', { health: 'disabled', labor: 'lost', disability: { category: 'physical', grade: 2 } })],
      }),
      F: buildHousehold({
        regionCode: OTHER_VILLAGE, housingSafe: false, wantsIndustry: false, supports: insurance,
        members: [person('1994-01-01'), person('1996-01-01', { relation: 'spouse' })],
      }),
    };
    for (const [name, h] of Object.entries(fixtures)) {
      await createHousehold(systemActor, h);
      codes[name] = h.code;
    }
    // G: a record from before validation existed, written past the registry: it repeats A's head
    // and carries a wrong check digit (the registry would refuse both today).
    const legacy = buildHousehold({ regionCode: OTHER_VILLAGE, status: 'exited', supports: [] });
    const doc: any = (await HouseholdModel.findOne({ code: codes.A }).lean())!;
    delete doc._id;
    doc.code = legacy.code;
    doc.regionCode = OTHER_VILLAGE;
    doc.status = 'exited';
    doc.supports = [];
    doc.members = doc.members.map((m: any, i: number) => {
      const { personId: _p, ...rest } = m;
      return i === 0 ? rest : { ...rest, idNumber: withWrongCheckDigit(makeIdNumber('1990-01-01', 7)) };
    });
    await HouseholdModel.collection.insertOne(doc);
    codes.G = legacy.code;
  });

  describe('POST /eligibility/evaluate', () => {
    it('answers the determination with explanations, nothing stored', async () => {
      const household = buildHousehold({ dibao: true });
      const res = await request(app).post('/api/v1/eligibility/evaluate').set(bearer(village)).send({ household, asOf: '2024-06-30' });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.ruleSet.id).to.equal('default');
      expect(res.body.ruleSet.hash).to.match(/^[0-9a-f]{64}$/);
      expect(res.body.categories.map((c: any) => c.id).slice(0, 8)).to.deep.equal([
        'basic-guarantee', 'disability', 'chronic-illness', 'health', 'education', 'industry', 'microloan', 'property-insurance',
      ]);
      const guarantee = res.body.categories[0];
      expect(guarantee).to.include({ status: 'eligible', persons: 2 });
      expect(guarantee.conditions.find((c: any) => c.fact === 'perCapitaNetIncome').parameter).to.deep.equal({ name: 'dibaoLine', effectiveFrom: '2024-01-01', region: '981122' });
      expect(res.body.validation.valid).to.equal(true);
      expect(await HouseholdModel.countDocuments({ code: household.code })).to.equal(0);
    });

    it('gives undetermined, never a 500, for a household with missing and odd-typed fields', async () => {
      const household = { code: 'X1', regionCode: VILLAGE, status: 'poor', dibao: 'yes', income: { wage: 'lots' }, members: [{ relation: 'head', labor: 'ordinary' }] };
      const res = await request(app).post('/api/v1/eligibility/evaluate').set(bearer(county)).send({ household, asOf: '2024-06-30' });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.validation.valid).to.equal(false);
      const guarantee = res.body.categories.find((c: any) => c.id === 'basic-guarantee');
      expect(guarantee.status).to.equal('undetermined');
      expect(guarantee.missingFacts).to.include.members(['dibao', 'perCapitaNetIncome']);
    });

    it('refuses a body without a real as-of date (400)', async () => {
      const res = await request(app).post('/api/v1/eligibility/evaluate').set(bearer(county)).send({ household: {}, asOf: '2024-02-30' });
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal('VALIDATION_FAILED');
    });

    it('refuses an unauthenticated caller (401)', async () => {
      const res = await request(app).post('/api/v1/eligibility/evaluate').send({ household: {}, asOf: '2024-06-30' });
      expect(res.status).to.equal(401);
    });
  });

  describe('GET /households/:code/eligibility', () => {
    it('evaluates a stored household on the date asked', async () => {
      const res = await request(app).get(`/api/v1/households/${codes.B}/eligibility?asOf=2024-06-30`).set(bearer(auditor));
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.householdCode).to.equal(codes.B);
      const education = res.body.categories.find((c: any) => c.id === 'education');
      expect(education).to.include({ status: 'eligible', persons: 1 });
      expect(education.members).to.have.length(1);
      expect(education.members[0].index).to.equal(2);
      expect(education.members[0].id).to.be.a('string');
      expect(res.body.findings.map((f: any) => `${f.type}:${f.category}`)).to.include('eligible-not-enrolled:education');
    });

    it('answers 404 for a household outside the caller\'s region', async () => {
      const res = await request(app).get(`/api/v1/households/${codes.F}/eligibility?asOf=2024-06-30`).set(bearer(village));
      expect(res.status).to.equal(404);
    });
  });

  describe('runs', () => {
    let runId: string;
    let run: any;

    before(async function () {
      this.timeout(60_000);
      await AuditModel.deleteMany({});
      const res = await request(app).post('/api/v1/eligibility/runs').set(bearer(auditor)).send({ regionCode: COUNTY, asOf: '2024-06-30' });
      expect(res.status, JSON.stringify(res.body)).to.equal(202);
      runId = res.body.id;
      run = await waitForRun(auditor, runId);
    });

    it('finishes with progress done / total and the rule set\'s version, hash and parameters', () => {
      expect(run.status, run.error).to.equal('done');
      expect(run.progress).to.deep.equal({ done: 7, total: 7 });
      expect(run.ruleSet).to.include({ id: 'default', version: '2024.1' });
      expect(run.additions).to.deep.equal([{ id: 'county-981122', version: '2024.1' }]);
      expect(run.parameters.dibaoLine.regions['981122']).to.deep.equal({ '2024-01-01': 8100 });
      expect(run.rate).to.be.a('number');
    });

    it('summarises the hand-counted fixture, with POLICY.md\'s sentence', () => {
      const s = run.summary;
      expect(s.households).to.equal(4);
      expect(s.persons).to.equal(8);
      expect(s.evaluated).to.equal(7);
      expect(s.categories.map((c: any) => [c.id, c.households, c.persons])).to.deep.equal([
        ['basic-guarantee', 1, 3], ['disability', 1, 1], ['chronic-illness', 1, 1], ['health', 2, 4], ['education', 1, 1],
        ['industry', 1, null], ['microloan', 1, null], ['property-insurance', 4, 8], ['housing-renovation', 1, null],
      ]);
      const failing = Object.fromEntries(s.checks.map((c: any) => [c.id, c.failing]));
      expect(failing).to.deep.equal({ income: 1, 'compulsory-education': 0, 'basic-medical': 0, 'housing-safety': 1, 'drinking-water': 1 });
      expect(s.monitoringCandidates).to.deep.equal({ unstable: 1, marginal: 0, sudden: 1, undetermined: 0 });
      expect(s.sentence).to.equal('享受政策的贫困户共4户8人，其中享受兜底保障1户3人，残疾帮扶1户1人，慢性病帮扶1户1人，健康扶贫2户4人，教育扶贫1户1人，产业扶贫1户，扶贫小额贷款1户，家庭财产保险4户8人，危房改造1户。');
    });

    it('stores one result per household and records the run in the audit trail', async () => {
      expect(await ResultModel.countDocuments({ runId: RunModel.castObject({ _id: runId })._id })).to.equal(7);
      const audit = await AuditModel.findOne({ action: 'eligibility.run' }).lean<any>();
      expect(audit).to.include({ entity: 'run', entityId: runId, regionCode: COUNTY });
    });

    it('filters results by category', async () => {
      const res = await request(app).get(`/api/v1/eligibility/runs/${runId}/results?category=basic-guarantee`).set(bearer(auditor));
      expect(res.status).to.equal(200);
      expect(res.body.total).to.equal(1);
      expect(res.body.items[0].householdCode).to.equal(codes.B);
      expect(res.body.items[0].determination.categories[0].status).to.equal('eligible');
    });

    it('filters results by finding, the same person in two households found across the run', async () => {
      const get = (finding: string) => request(app).get(`/api/v1/eligibility/runs/${runId}/results?finding=${finding}`).set(bearer(auditor));
      const notEnrolled = await get('eligible-not-enrolled');
      expect(notEnrolled.body.items.map((i: any) => i.householdCode)).to.deep.equal([codes.A, codes.B, codes.E].sort());
      const enrolled = await get('enrolled-not-eligible');
      expect(enrolled.body.items.map((i: any) => i.householdCode)).to.deep.equal([codes.C]);
      const duplicate = await get('duplicate-person');
      expect(duplicate.body.items.map((i: any) => i.householdCode)).to.deep.equal([codes.G]);
      const invalid = await get('invalid-id-number');
      expect(invalid.body.items.map((i: any) => i.householdCode)).to.deep.equal([codes.G]);
      const page = await request(app).get(`/api/v1/eligibility/runs/${runId}/results?page=2&limit=3`).set(bearer(auditor));
      expect(page.body).to.include({ total: 7, page: 2, limit: 3 });
      expect(page.body.items).to.have.length(3);
    });

    it('downloads the findings as a workbook, one sheet per finding type, ID numbers masked', async () => {
      const res = await request(app).get(`/api/v1/eligibility/runs/${runId}/findings.xlsx`).set(bearer(auditor)).buffer(true).parse(binary);
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.contain('spreadsheetml');
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(res.body as any);
      const sheets = workbook.worksheets.map((w) => w.name);
      expect(sheets).to.include.members(['户主缺失或多于一人', '同一人重复登记', '证件号码不符合国家标准', '符合条件但未享受', '已享受但不符合条件']);
      const rows = (name: string) => {
        const out: string[][] = [];
        workbook.getWorksheet(name)!.eachRow((row, n) => { if (n > 1) out.push((row.values as unknown[]).slice(1).map((v) => String(v ?? ''))); });
        return out;
      };
      expect(rows('符合条件但未享受')).to.have.length(8);
      expect(rows('已享受但不符合条件')).to.have.length(1);
      const duplicate = rows('同一人重复登记');
      expect(duplicate).to.have.length(1);
      expect(duplicate[0][0]).to.equal(codes.G);
      expect(duplicate[0][6]).to.match(/^\d{6}\*{8}\d{3}[\dX]$/);
    });

    it('answers 404 for a run outside the caller\'s region, and for a region outside it', async () => {
      expect((await request(app).get(`/api/v1/eligibility/runs/${runId}`).set(bearer(otherCounty))).status).to.equal(404);
      const res = await request(app).post('/api/v1/eligibility/runs').set(bearer(otherCounty)).send({ regionCode: COUNTY, asOf: '2024-06-30' });
      expect(res.status).to.equal(404);
    });

    it('refuses runs to a role without the permission (403)', async () => {
      const res = await request(app).post('/api/v1/eligibility/runs').set(bearer(village)).send({ regionCode: VILLAGE, asOf: '2024-06-30' });
      expect(res.status).to.equal(403);
    });

    it('runs a village only: the other village\'s households are left out', async () => {
      const res = await request(app).post('/api/v1/eligibility/runs').set(bearer(county)).send({ regionCode: VILLAGE, asOf: '2024-06-30' });
      const done = await waitForRun(county, res.body.id);
      expect(done.progress).to.deep.equal({ done: 5, total: 5 });
      expect(done.summary.households).to.equal(3);
    });
  });

  describe('GET /rules', () => {
    it('lists the rule sets, categories and parameters in force on a date', async () => {
      const res = await request(app).get('/api/v1/rules?asOf=2023-06-30').set(bearer(village));
      expect(res.status).to.equal(200);
      expect(res.body.categories.map((c: any) => c.id)).to.deep.equal([
        'basic-guarantee', 'disability', 'chronic-illness', 'health', 'education', 'industry', 'microloan', 'property-insurance',
      ]);
      const dibao = res.body.parameters.find((p: any) => p.name === 'dibaoLine');
      expect(dibao).to.include({ value: 6000, effectiveFrom: '2022-01-01' });
      expect(dibao.regions).to.deep.equal([]);
      const later = await request(app).get('/api/v1/rules?asOf=2024-06-30').set(bearer(village));
      expect(later.body.categories.map((c: any) => c.id)).to.include('housing-renovation');
      expect(later.body.parameters.find((p: any) => p.name === 'dibaoLine').regions).to.deep.equal([
        { prefix: '981122', value: 8100, effectiveFrom: '2024-01-01' }, { prefix: '98', value: 7800, effectiveFrom: '2024-01-01' },
      ]);
    });
  });
});
