import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../../src/app';
import { AuditModel } from '../../../src/audit/audit.model';
import { HouseholdModel } from '../../../src/registry/household.model';
import { ImportJobModel } from '../../../src/ledger/import/import-job.model';
import { importLimitOverrides } from '../../../src/ledger/import/import.service';
import { importWait } from '../../../src/ledger/import.routes';
import type { Household } from '../../../src/registry/household.types';
import type { SyntheticCounty } from '../../../src/ledger/synthetic-county';
import { resetDatabase } from '../../helpers/db';
import { tokenFor } from '../../helpers/auth';
import { binary } from '../../helpers/binary';
import {
  COUNTY_CODE, COUNTY_NAME, NATIONAL_HEADER, handmadeFile, householdsOf, layoutFile, loadCountyRegions, nationalRow,
  removeTmpFiles, testCounty,
} from './ledger-fixtures';
import { hugeDimensionSheet, makeXlsx } from './zip-maker';

async function storedCount(): Promise<number> {
  return HouseholdModel.countDocuments({});
}

async function stored(code: string): Promise<Household & { version: number }> {
  return (await HouseholdModel.findOne({ code } as never).lean()) as unknown as Household & { version: number };
}

describe('POST /imports', () => {
  let app: Express;
  let county: SyntheticCounty;
  let token: string;

  before(() => {
    app = createApp();
    county = testCounty(12);
  });
  after(() => {
    removeTmpFiles();
  });
  beforeEach(async () => {
    await resetDatabase();
    await loadCountyRegions(county);
    token = await tokenFor('county', [COUNTY_CODE]);
  });
  afterEach(() => {
    for (const key of Object.keys(importLimitOverrides)) delete importLimitOverrides[key as keyof typeof importLimitOverrides];
  });

  const upload = (file: string, layout = 'national-member-detail', dryRun = false, bearer = token) =>
    request(app).post('/api/v1/imports').set('Authorization', `Bearer ${bearer}`)
      .field('layout', layout).field('dryRun', String(dryRun)).attach('file', file);

  describe('every layout', () => {
    it('imports the national 贫困人口明细 export: households created, places resolved, members in order', async () => {
      const households = householdsOf(county, 8);
      const file = await layoutFile('national-member-detail', households, county);
      const res = await upload(file).expect(200);
      expect(res.body.status).to.equal('done');
      expect(res.body.errors).to.deep.equal([]);
      expect(res.body.imported.households).to.equal(8);
      expect(res.body.imported.members).to.equal(households.reduce((n, h) => n + h.members.length, 0));
      expect(await storedCount()).to.equal(8);
      const h = await stored(households[0].code);
      expect(h.regionCode).to.equal(households[0].regionCode);
      expect(h.members.map((m) => m.idNumber)).to.deep.equal(households[0].members.map((m) => m.idNumber));
      expect(h.status).to.equal(households[0].status);
      expect(h.dibao).to.equal(households[0].dibao);
      expect(h.tekun).to.equal(households[0].tekun);
      expect(h.housingSafe).to.equal(households[0].housingSafe);
      expect(h.members[0].health).to.equal(households[0].members[0].health);
    });

    it('imports the 防返贫监测 list with its monitoring columns under a merged header', async () => {
      const households = householdsOf(county).filter((x) => x.monitoring).slice(0, 3);
      expect(households.length).to.be.greaterThan(0);
      const file = await layoutFile('monitoring-list', households, county);
      const res = await upload(file, 'monitoring-list').expect(200);
      expect(res.body.errors).to.deep.equal([]);
      for (const original of households) {
        const h = await stored(original.code);
        expect(h.monitoring).to.deep.include({ type: original.monitoring?.type, identifiedAt: original.monitoring?.identifiedAt, riskEliminated: original.monitoring?.riskEliminated, eliminatedAt: original.monitoring?.eliminatedAt });
        expect(h.monitoring?.risks).to.deep.equal(original.monitoring?.risks);
      }
    });

    it('round-trips the full template without loss: every field of every household comes back', async () => {
      const households = householdsOf(county);
      const file = await layoutFile('full-template', households, county);
      const res = await upload(file, 'full-template').expect(200);
      expect(res.body.errors).to.deep.equal([]);
      expect(res.body.imported.households).to.equal(households.length);
      for (const original of households) {
        const back = await stored(original.code);
        const { version: _v, createdAt: _c, updatedAt: _u, createdBy: _cb, updatedBy: _ub, _id: _i, ...rest } = back as unknown as Record<string, unknown>;
        const members = (rest.members as Record<string, unknown>[]).map(({ _id, personId: _p, id: _m, ...m }) => m);
        expect({ ...rest, members }).to.deep.equal({ ...original, members: original.members.map((m) => ({ ...m })) });
      }
    });
  });

  describe('idempotence and dry runs', () => {
    it('a dry run reports what would happen and writes nothing', async () => {
      const file = await layoutFile('national-member-detail', householdsOf(county, 5), county);
      const res = await upload(file, 'national-member-detail', true).expect(200);
      expect(res.body.dryRun).to.equal(true);
      expect(res.body.created).to.equal(5);
      expect(await storedCount()).to.equal(0);
    });

    it('the same file twice returns the same job and changes nothing the second time', async () => {
      const households = householdsOf(county, 4);
      const file = await layoutFile('national-member-detail', households, county);
      const first = await upload(file).expect(200);
      const versions = await Promise.all(households.map(async (h) => (await stored(h.code)).version));
      const second = await upload(file).expect(200);
      expect(second.body.id).to.equal(first.body.id);
      expect(await storedCount()).to.equal(4);
      expect(await Promise.all(households.map(async (h) => (await stored(h.code)).version))).to.deep.equal(versions);
      expect(await ImportJobModel.countDocuments({})).to.equal(1);
    });

    it('a changed file finds the unchanged households unchanged and keeps fields the ledger does not carry', async () => {
      const households = householdsOf(county, 3);
      await upload(await layoutFile('full-template', households, county), 'full-template').expect(200);
      const res = await upload(await layoutFile('national-member-detail', households, county)).expect(200);
      expect(res.body.errors).to.deep.equal([]);
      const h = await stored(households[0].code);
      // The national ledger has no 帮扶责任人 or 残疾 columns: what the full template wrote stays.
      expect(h.helpers).to.deep.equal(households[0].helpers);
      expect(h.members.map((m) => m.disability)).to.deep.equal(households[0].members.map((m) => m.disability));
    });

    it('resumes a job that a crash left running, from its last committed row, and finishes it', async () => {
      const households = householdsOf(county, 6);
      const file = await layoutFile('national-member-detail', households, county);
      const done = await upload(file).expect(200);
      // Simulate a crash after the first three households: they are written, the job is `running`.
      // Rows: title 1, 填报单位 2, header 3, data from 4.
      const rowsOfFirstThree = households.slice(0, 3).reduce((n, h) => n + h.members.length, 0);
      await HouseholdModel.deleteMany({ code: { $in: households.slice(3).map((h) => h.code) } } as never);
      await ImportJobModel.updateOne({ _id: done.body.id } as never, { $set: { status: 'running', progress: { row: 3 + rowsOfFirstThree }, counts: { rows: rowsOfFirstThree, households: 3, created: 3, updated: 0, unchanged: 0, failed: 0, members: rowsOfFirstThree } } });
      const again = await upload(file).expect(200);
      expect(again.body.id).to.equal(done.body.id);
      expect(again.body.status).to.equal('done');
      expect(again.body.created).to.equal(6);
      expect(await storedCount()).to.equal(6);
    });
  });

  describe('real ledgers as cadres keep them', () => {
    it('finds the header under a title and a 填报单位 row and reads rich text, formulas and a grade', async () => {
      const [h] = householdsOf(county, 1);
      const rows = h.members.map((_, i) => nationalRow(county, h, i, i + 1, {
        姓名: { richText: [{ text: h.members[i].name.slice(0, 1) }, { font: { bold: true }, text: h.members[i].name.slice(1) }] },
        人均纯收入: { formula: '4000*2', result: 8000 },
        在校生状况: i === 0 ? '小学三年级' : null,
      }));
      const file = await handmadeFile({ title: `${COUNTY_NAME}建档立卡贫困人口明细`, unit: '填报单位：城关镇人民政府    填报日期：2024年6月30日', header: NATIONAL_HEADER, rows, numFmt: { 9: '@' } });
      const res = await upload(file).expect(200);
      expect(res.body.errors).to.deep.equal([]);
      const back = await stored(h.code);
      expect(back.members.map((m) => m.name)).to.deep.equal(h.members.map((m) => m.name));
      expect(back.perCapitaNetIncome).to.equal(8000);
      expect(back.members[0].schooling).to.equal('primary');
    });

    it('reads a two-level header with merged cells and dates as serials and as text, without a one-day shift', async () => {
      const [h] = householdsOf(county).filter((x) => x.members.length >= 2);
      const groups = [...NATIONAL_HEADER.map(() => null), '防返贫监测', null, null, null, null];
      const header = [...NATIONAL_HEADER, '监测对象类型', '风险类型', '风险是否消除', '识别时间', '消除时间'];
      const extra = (i: number) => ['脱贫不稳定户', '因病、因学', '是', i === 0 ? new Date(Date.UTC(2019, 2, 1)) : '2019年3月1日', i === 0 ? '2020/3/1' : '20200301'];
      const rows = h.members.map((_, i) => [...nationalRow(county, h, i, i + 1), ...extra(i)]);
      const file = await handmadeFile({
        title: '防返贫监测对象明细', groups, header, rows,
        groupMerges: [[NATIONAL_HEADER.length + 1, NATIONAL_HEADER.length + 5]],
        verticalMerges: NATIONAL_HEADER.map((_, i) => i + 1),
        numFmt: { [NATIONAL_HEADER.length + 4]: 'yyyy-mm-dd' }, sheetName: '监测对象',
      });
      const res = await upload(file, 'monitoring-list').expect(200);
      expect(res.body.errors).to.deep.equal([]);
      const back = await stored(h.code);
      expect(back.monitoring).to.deep.equal({ type: 'unstable', risks: ['illness', 'schooling'], identifiedAt: '2019-03-01', riskEliminated: true, eliminatedAt: '2020-03-01' });
    });

    it('reads a merged 户编号 (empty on the household\'s later rows) as the value above it', async () => {
      const [h] = householdsOf(county).filter((x) => x.members.length >= 3);
      const rows = h.members.map((_, i) => nationalRow(county, h, i, i + 1, i === 0 ? {} : { 户编号: null, 县: null, '乡(镇)': null, 行政村: null }));
      const res = await upload(await handmadeFile({ header: NATIONAL_HEADER, rows })).expect(200);
      expect(res.body.errors).to.deep.equal([]);
      expect((await stored(h.code)).members).to.have.length(h.members.length);
    });

    it('accepts a ledger without the optional 参加大病医疗 and 务工状况 columns', async () => {
      const [h] = householdsOf(county, 1);
      const drop = new Set(['参加大病医疗', '务工状况']);
      const keep = NATIONAL_HEADER.map((l, i) => (drop.has(l) ? -1 : i)).filter((i) => i >= 0);
      const rows = h.members.map((_, i) => keep.map((k) => nationalRow(county, h, i, i + 1)[k]));
      const res = await upload(await handmadeFile({ header: keep.map((k) => NATIONAL_HEADER[k]), rows })).expect(200);
      expect(res.body.errors).to.deep.equal([]);
      expect(await storedCount()).to.equal(1);
    });
  });

  describe('bad rows', () => {
    // CASE 1: an ID number stored as a number → ID_NUMBER_NOT_TEXT, that household not written.
    // CASE 2: an unknown village → UNKNOWN_VILLAGE.
    // CASE 3: household columns that disagree between rows → HOUSEHOLD_COLUMNS_DISAGREE.
    // CASE 4: a bad date → INVALID_DATE (monitoring list).
    // The other households of the same file are written.
    it('refuses each bad household with its code and row, and writes the good ones', async () => {
      const hs = householdsOf(county).filter((x) => x.members.length >= 2).slice(0, 4);
      const rows: ExcelJS.CellValue[][] = [];
      let seq = 1;
      const add = (h: Household, over: (i: number) => Record<string, ExcelJS.CellValue>) => {
        h.members.forEach((_, i) => rows.push(nationalRow(county, h, i, seq++, over(i))));
      };
      add(hs[0], (i) => (i === 1 ? { 证件号码: Number(hs[0].members[1].idNumber.slice(0, 17)) } : {}));
      add(hs[1], () => ({ 行政村: '不存在村' }));
      add(hs[2], (i) => (i === 1 ? { 危房户: '是' } : {}));
      add(hs[3], () => ({}));
      const res = await upload(await handmadeFile({ header: NATIONAL_HEADER, rows })).expect(200);
      const codes = res.body.errors.map((e: { code: string }) => e.code);
      expect(codes).to.include.members(['ID_NUMBER_NOT_TEXT', 'UNKNOWN_VILLAGE', 'HOUSEHOLD_COLUMNS_DISAGREE']);
      const idError = res.body.errors.find((e: { code: string }) => e.code === 'ID_NUMBER_NOT_TEXT');
      expect(idError).to.include({ sheet: '贫困人口明细', row: 3, column: '证件号码' });
      expect(res.body.failed).to.equal(3);
      expect(await storedCount()).to.equal(1);
      expect(await stored(hs[3].code)).to.not.equal(null);
      expect(await stored(hs[0].code)).to.equal(null);
    });

    it('refuses a new household whose person is already registered in another household, without naming it', async () => {
      const [a, b] = householdsOf(county, 2);
      await upload(await layoutFile('national-member-detail', [a], county)).expect(200);
      const intruder = { ...b, members: [...b.members, { ...a.members[0], relation: 'other' as const }] };
      const res = await upload(await layoutFile('national-member-detail', [intruder], county)).expect(200);
      expect(res.body.errors.map((e: { code: string }) => e.code)).to.deep.equal(['PERSON_IN_OTHER_HOUSEHOLD']);
      expect(res.body.errors[0].message).to.not.contain(a.code);
      expect(await stored(b.code)).to.equal(null);
    });

    it('refuses the same person listed in two households of one file, in a dry run too', async () => {
      const [a, b] = householdsOf(county, 2);
      const twice = { ...b, members: [...b.members, { ...a.members[1] ?? a.members[0], relation: 'other' as const }] };
      const file = await layoutFile('national-member-detail', [a, twice], county);
      const dry = await upload(file, 'national-member-detail', true).expect(200);
      expect(dry.body.errors.map((e: { code: string }) => e.code)).to.deep.equal(['PERSON_IN_OTHER_HOUSEHOLD']);
      expect(await storedCount()).to.equal(0);
    });

    it('reports a bad date with INVALID_DATE', async () => {
      const [h] = householdsOf(county, 1);
      const header = [...NATIONAL_HEADER, '监测对象类型', '识别时间'];
      const rows = h.members.map((_, i) => [...nationalRow(county, h, i, i + 1), '边缘易致贫户', '2019-02-30']);
      const res = await upload(await handmadeFile({ header, rows }), 'monitoring-list').expect(200);
      expect(res.body.errors[0]).to.include({ code: 'INVALID_DATE', column: '识别时间' });
      expect(await storedCount()).to.equal(0);
    });

    it('refuses rows outside the importer\'s region', async () => {
      const hs = householdsOf(county);
      const township = county.regions.find((r) => r.code.endsWith('000') && !r.code.endsWith('000000'))?.code as string;
      const inside = hs.filter((h) => h.regionCode.startsWith(township.slice(0, 9)));
      const outside = hs.filter((h) => !h.regionCode.startsWith(township.slice(0, 9)));
      const townToken = await tokenFor('county', [township]);
      const file = await layoutFile('national-member-detail', [...inside.slice(0, 2), ...outside.slice(0, 2)], county);
      const res = await upload(file, 'national-member-detail', false, townToken).expect(200);
      expect(res.body.errors.map((e: { code: string }) => e.code)).to.deep.equal(['REGION_OUT_OF_SCOPE', 'REGION_OUT_OF_SCOPE']);
      expect(await storedCount()).to.equal(2);
    });

    it('refuses a household whose rows come back after other households', async () => {
      const [a, b] = householdsOf(county).filter((x) => x.members.length >= 2);
      const rows = [nationalRow(county, a, 0, 1), nationalRow(county, b, 0, 2), ...b.members.slice(1).map((_, i) => nationalRow(county, b, i + 1, 3 + i)), nationalRow(county, a, 1, 9)];
      const res = await upload(await handmadeFile({ header: NATIONAL_HEADER, rows })).expect(200);
      expect(res.body.errors.map((e: { code: string }) => e.code)).to.include('HOUSEHOLD_ROWS_SPLIT');
    });

    it('gives back the failing rows in errors.xlsx with 错误原因, ready to fix and upload again', async () => {
      const [good, bad] = householdsOf(county).filter((x) => x.members.length >= 2);
      const rows = [
        ...good.members.map((_, i) => nationalRow(county, good, i, i + 1)),
        ...bad.members.map((_, i) => nationalRow(county, bad, i, 10 + i, i === 1 ? { 健康状况: '还行' } : {})),
      ];
      const res = await upload(await handmadeFile({ title: '台账', header: NATIONAL_HEADER, rows })).expect(200);
      expect(res.body.failed).to.equal(1);
      const download = await request(app).get(`/api/v1/imports/${res.body.id}/errors.xlsx`).set('Authorization', `Bearer ${token}`)
        .buffer(true).parse(binary).expect(200);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(download.body as unknown as ExcelJS.Buffer);
      const ws = workbook.worksheets[0];
      const header = (ws.getRow(1).values as unknown[]).slice(1);
      expect(header.slice(0, NATIONAL_HEADER.length)).to.deep.equal(NATIONAL_HEADER);
      expect(header.at(-1)).to.equal('错误原因');
      expect(ws.rowCount).to.equal(1 + bad.members.length);
      const idCol = NATIONAL_HEADER.indexOf('证件号码') + 1;
      expect(ws.getRow(2).getCell(idCol).value).to.equal(bad.members[0].idNumber);
      expect(String(ws.getRow(3).getCell(header.length).value)).to.contain('健康状况');
      expect(String(ws.getRow(2).getCell(header.length).value)).to.contain('同户其他行有错误');

      // Fixed and uploaded again, the same rows go in.
      const fixedIndex = NATIONAL_HEADER.indexOf('健康状况') + 1;
      ws.getRow(3).getCell(fixedIndex).value = '健康';
      const fixedPath = path.join(os.tmpdir(), `${res.body.id}.fixed.xlsx`);
      await workbook.xlsx.writeFile(fixedPath);
      const again = await upload(fixedPath).expect(200);
      fs.rmSync(fixedPath, { force: true });
      expect(again.body.errors).to.deep.equal([]);
      expect(again.body.created).to.equal(1);
      expect(await storedCount()).to.equal(2);
    });
  });

  describe('hostile files', () => {
    it('answers 413 to a file over the size cap, while it is still arriving', async () => {
      importLimitOverrides.maxBytes = 4096;
      const file = await layoutFile('national-member-detail', householdsOf(county, 12), county);
      const res = await upload(file);
      expect(res.status).to.equal(413);
      expect(res.body.error.code).to.equal('IMPORT_FILE_TOO_LARGE');
    });

    it('refuses a sheet that claims XFD1048576 in seconds and keeps serving', async () => {
      const file = `${os.tmpdir()}/huge-${Date.now()}.xlsx`;
      fs.writeFileSync(file, makeXlsx(hugeDimensionSheet()));
      const started = Date.now();
      const res = await upload(file).expect(400);
      fs.rmSync(file, { force: true });
      expect(res.body.error.code).to.equal('IMPORT_TOO_MANY_ROWS');
      expect(Date.now() - started).to.be.lessThan(5000);
      await request(app).get('/health').expect(200);
    });

    it('refuses a zip bomb with IMPORT_ZIP_BOMB', async () => {
      const file = `${os.tmpdir()}/bomb-${Date.now()}.xlsx`;
      fs.writeFileSync(file, makeXlsx('', 64 * 1024 * 1024));
      const res = await upload(file).expect(400);
      fs.rmSync(file, { force: true });
      expect(res.body.error.code).to.equal('IMPORT_ZIP_BOMB');
    });

    it('refuses more data rows than the cap, and more columns than the cap', async () => {
      importLimitOverrides.maxRows = 5;
      const rows = householdsOf(county).flatMap((h) => h.members.map((_, i) => nationalRow(county, h, i, 1)));
      expect((await upload(await handmadeFile({ header: NATIONAL_HEADER, rows })).expect(400)).body.error.code).to.equal('IMPORT_TOO_MANY_ROWS');
      delete importLimitOverrides.maxRows;
      importLimitOverrides.maxColumns = 20;
      const [h] = householdsOf(county, 1);
      expect((await upload(await handmadeFile({ header: NATIONAL_HEADER, rows: [nationalRow(county, h, 0, 1)] })).expect(400)).body.error.code).to.equal('IMPORT_TOO_MANY_COLUMNS');
    });

    it('refuses a file that is not a workbook, and one without the layout\'s header', async () => {
      const csv = `${os.tmpdir()}/x-${Date.now()}.xlsx`;
      fs.writeFileSync(csv, '户编号,姓名\n1,张三\n');
      expect((await upload(csv).expect(400)).body.error.code).to.equal('IMPORT_NOT_XLSX');
      fs.rmSync(csv, { force: true });
      const other = await handmadeFile({ header: ['名称', '数量'], rows: [['a', 1]] });
      expect((await upload(other).expect(400)).body.error.code).to.equal('IMPORT_HEADER_NOT_FOUND');
    });
  });

  describe('POST /regions/import', () => {
    it('loads a region list from CSV and from Excel', async () => {
      await resetDatabase();
      const admin = await tokenFor('admin', ['000000000000']);
      const csv = path.join(os.tmpdir(), `regions-${Date.now()}.csv`);
      fs.writeFileSync(csv, `code,name\n${county.regions.map((r) => `${r.code},${r.name}`).join('\n')}\n`);
      const res = await request(app).post('/api/v1/regions/import').set('Authorization', `Bearer ${admin}`).attach('file', csv).expect(200);
      fs.rmSync(csv, { force: true });
      expect(res.body).to.deep.equal({ count: county.regions.length, errors: [] });
      const xlsx = await handmadeFile({ header: ['代码', '名称'], rows: county.regions.map((r) => [r.code, r.name]) });
      const again = await request(app).post('/api/v1/regions/import').set('Authorization', `Bearer ${admin}`).attach('file', xlsx).expect(200);
      expect(again.body.count).to.equal(county.regions.length);
      const village = county.villages[0];
      const list = await request(app).get(`/api/v1/regions?parent=${village.code.slice(0, 9)}000`).set('Authorization', `Bearer ${admin}`).expect(200);
      expect(list.body.items.map((r: { name: string }) => r.name)).to.include(village.name);
    });
  });

  describe('access, jobs and audit', () => {
    it('refuses users who may not import (403) and an unknown layout (400)', async () => {
      const file = await layoutFile('national-member-detail', householdsOf(county, 1), county);
      const auditor = await tokenFor('auditor', [COUNTY_CODE]);
      // The refusal comes before the body is read. With a whole file attached, superagent may
      // still be writing when the answer arrives and report EPIPE instead of it, so the refused
      // request carries the form fields only (the server drains what it does not read).
      const refused = await request(app).post('/api/v1/imports').set('Authorization', `Bearer ${auditor}`)
        .field('layout', 'national-member-detail').expect(403);
      expect(refused.body.error.code).to.equal('FORBIDDEN');
      expect((await upload(file, 'no-such-layout').expect(400)).body.error.code).to.equal('IMPORT_LAYOUT_UNKNOWN');
    });

    it('answers GET /imports/:id to its owner, 404 to another user, and records the import in the audit log', async () => {
      const file = await layoutFile('national-member-detail', householdsOf(county, 2), county);
      const res = await upload(file).expect(200);
      const got = await request(app).get(`/api/v1/imports/${res.body.id}`).set('Authorization', `Bearer ${token}`).expect(200);
      expect(got.body).to.deep.include({ id: res.body.id, status: 'done', layout: 'national-member-detail' });
      const other = await tokenFor('county', [COUNTY_CODE]);
      await request(app).get(`/api/v1/imports/${res.body.id}`).set('Authorization', `Bearer ${other}`).expect(404);
      const entry = await AuditModel.findOne({ action: 'import', entityId: res.body.id } as never).lean();
      expect(entry?.details).to.deep.include({ layout: 'national-member-detail', dryRun: false, households: 2, errors: 0 });
    });

    it('answers 202 with a job to poll when the import outlasts the wait', async () => {
      const saved = importWait.ms;
      importWait.ms = 0;
      try {
        const file = await layoutFile('national-member-detail', householdsOf(county, 3), county);
        const res = await upload(file).expect(202);
        expect(res.headers.location).to.match(new RegExp(`/imports/${res.body.id}$`));
        let job = res.body;
        for (let i = 0; i < 100 && job.status !== 'done'; i++) {
          await new Promise((r) => setTimeout(r, 100));
          job = (await request(app).get(`/api/v1/imports/${res.body.id}`).set('Authorization', `Bearer ${token}`).expect(200)).body;
        }
        expect(job.status).to.equal('done');
        expect(job.imported.households).to.equal(3);
      } finally {
        importWait.ms = saved;
      }
    });
  });
});

