import { expect } from 'chai';
import ExcelJS from 'exceljs';
import request from 'supertest';
import type express from 'express';
import { AuditModel } from '../../../src/audit/audit.model';
import { todayInChina } from '../../../src/ledger/export/export.service';
import { loadLayout } from '../../../src/ledger/layout';
import { maskIdNumber } from '../../../src/registry/id-number';
import { resetDatabase } from '../../helpers/db';
import { tokenFor } from '../../helpers/auth';
import { binary, openWorkbook } from '../../helpers/binary';
import {
  AS_OF, CHENGGUAN, COUNTY, EXPECTED_SENTENCE, EXPECTED_SUMMARY, WANGJIA, ZHANGJIA, exportApp, loadFixture, type Fixture,
} from './fixture';


/** Cell texts of a sheet row, by column number (1-based), as strings or numbers. */
function rowValues(ws: ExcelJS.Worksheet, row: number): unknown[] {
  return (ws.getRow(row).values as unknown[]).slice(1);
}

function columnOf(layoutId: string, field: string): number {
  return loadLayout(layoutId).columns.findIndex((c) => c.field === field) + 1;
}

describe('GET /exports/ledger.xlsx', () => {
  let app: express.Express;
  let fx: Fixture;
  let adminToken: string;
  let countyToken: string;

  before(async () => {
    await resetDatabase();
    fx = await loadFixture();
    app = exportApp();
    adminToken = await tokenFor('admin', ['000000000000']);
    countyToken = await tokenFor('county', [COUNTY]);
  });

  async function download(token: string, query: string): Promise<{ status: number; body: Buffer; type: string; headers: Record<string, string> }> {
    const res = await request(app).get(`/api/v1/exports/ledger.xlsx?${query}`).set('Authorization', `Bearer ${token}`).buffer(true).parse(binary);
    return { status: res.status, body: res.body as Buffer, type: res.type, headers: res.headers as Record<string, string> };
  }

  it('writes the title, 填报单位 row, header, frozen pane and one row per member with the 户主 first', async () => {
    const res = await download(adminToken, `regionCode=${COUNTY}&asOf=${AS_OF}`);
    expect(res.status).to.equal(200);
    expect(res.type).to.equal('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(res.headers['content-disposition']).to.match(/^attachment;/);
    const wb = await openWorkbook(res.body);
    const ws = wb.getWorksheet('贫困人口明细') as ExcelJS.Worksheet;
    expect(ws.getCell('A1').value).to.equal('红安县2024年建档立卡贫困户台账');
    expect(ws.getCell('A2').value).to.equal('填报单位：红安县');
    const [y, m, d] = todayInChina().split('-').map(Number);
    expect(rowValues(ws, 2)).to.include(`填报日期：${y}年${m}月${d}日`);
    expect(rowValues(ws, 3).slice(0, 10)).to.deep.equal(['序号', '县', '乡(镇)', '行政村', '自然村', '户编号', '人编号', '姓名', '证件号码', '人数']);
    expect((ws.views[0] as ExcelJS.WorksheetViewFrozen).state).to.equal('frozen');
    expect((ws.views[0] as ExcelJS.WorksheetViewFrozen).ySplit).to.equal(3);

    const name = columnOf('national-member-detail', 'members[].name');
    const names = [4, 5, 6, 7, 8, 9, 10, 11].map((r) => ws.getCell(r, name).value);
    expect(names).to.deep.equal(['张三', '李四', '王五', '赵六', '王小', '孙七', '周八', "'@SUM(A1)"]);
    expect(ws.getCell(12, 1).value).to.equal(null);
    // Household columns repeat on every member row; places are names from the regions.
    expect(rowValues(ws, 6).slice(0, 7)).to.deep.equal([3, '红安县', '城关镇', '张家村', '三组', fx.h2.code, `${fx.h2.code}01`]);
    expect(ws.getCell(7, 6).value).to.equal(fx.h2.code);
    expect(ws.getCell(6, columnOf('national-member-detail', 'memberCount')).value).to.equal(3);
    expect(ws.getCell(4, columnOf('national-member-detail', 'attribute')).value).to.equal('低保贫困户');
    expect(ws.getCell(11, columnOf('national-member-detail', 'attribute')).value).to.equal('特困供养贫困户');
    expect(ws.getCell(9, columnOf('national-member-detail', 'status')).value).to.equal('已脱贫不再享受政策');
  });

  it('writes ID numbers as text cells, in full for a role that may see them in bulk', async () => {
    const wb = await openWorkbook((await download(adminToken, `regionCode=${COUNTY}`)).body);
    const ws = wb.worksheets[0];
    const id = columnOf('national-member-detail', 'members[].idNumber');
    const cell = ws.getCell(4, id);
    expect(cell.type).to.equal(ExcelJS.ValueType.String);
    expect(cell.numFmt).to.equal('@');
    expect(cell.value).to.equal(fx.h1.members[0].idNumber);
    expect(ws.getCell(4, columnOf('national-member-detail', 'phone')).value).to.equal('13812345678');
  });

  it('masks ID numbers and phones for a county export (PIPL: no full numbers in bulk)', async () => {
    const wb = await openWorkbook((await download(countyToken, `regionCode=${COUNTY}`)).body);
    const ws = wb.worksheets[0];
    const id = columnOf('national-member-detail', 'members[].idNumber');
    expect(ws.getCell(4, id).value).to.equal(maskIdNumber(fx.h1.members[0].idNumber));
    expect(String(ws.getCell(4, id).value)).to.match(/^\d{6}\*{8}\d{3}[\dX]$/);
    expect(ws.getCell(4, columnOf('national-member-detail', 'phone')).value).to.equal('138****5678');
    // A masked "+86…" phone still starts with "+": neutralised too.
    expect(ws.getCell(11, columnOf('national-member-detail', 'phone')).value).to.equal("'+86*******5678");
  });

  it('writes formula-looking text as quoted text, never as a formula (=, +, -, @, tab, CR)', async () => {
    const wb = await openWorkbook((await download(adminToken, `regionCode=${WANGJIA}&layout=full-template`)).body);
    const ws = wb.worksheets[0];
    const row = 5; // title, 填报单位, two header rows
    const at = (field: string) => ws.getCell(row, columnOf('full-template', field));
    expect(at('group').value).to.equal('\'=HYPERLINK("http://example.invalid","点我")');
    expect(at('members[].name').value).to.equal("'@SUM(A1)");
    expect(at('members[].ethnicity').value).to.equal("'\t=1+1");
    expect(at('phone').value).to.equal("'+8613812345678");
    // A JSON list cell starts with "[": safe; the CR and "-" inside it are not at the start.
    expect(JSON.parse(String(at('visits').value))).to.deep.equal([{ date: '2024-01-02', visitor: '-2+3', level: 'village', notes: '\r=1' }]);
    for (const r of [1, 2, 3, 4, 5]) {
      ws.getRow(r).eachCell((cell) => {
        expect(cell.type, `${cell.address}`).to.not.equal(ExcelJS.ValueType.Formula);
        expect(cell.type, `${cell.address}`).to.not.equal(ExcelJS.ValueType.Hyperlink);
      });
    }
  });

  it('merges the two-level header of the full template and freezes below it', async () => {
    const wb = await openWorkbook((await download(adminToken, `regionCode=${ZHANGJIA}&layout=full-template`)).body);
    const ws = wb.getWorksheet('户成员信息') as ExcelJS.Worksheet;
    expect(ws.getCell('A3').value).to.equal('序号');
    expect((ws.getCell('A4').master as ExcelJS.Cell).address).to.equal('A3');
    expect(ws.getCell('B3').value).to.equal('户基本信息');
    const groups = loadLayout('full-template').columns.map((c) => c.group);
    const lastHousehold = groups.lastIndexOf('户基本信息') + 1;
    expect((ws.getCell(3, lastHousehold).master as ExcelJS.Cell).address).to.equal('B3');
    expect((ws.getCell(3, lastHousehold + 1).master as ExcelJS.Cell).address).to.not.equal('B3');
    expect(ws.getCell(3, groups.indexOf('家庭成员') + 1).value).to.equal('家庭成员');
    expect(ws.getCell(4, 2).value).to.equal('县');
    expect((ws.views[0] as ExcelJS.WorksheetViewFrozen).ySplit).to.equal(4);
    expect(ws.getCell('A1').value).to.equal(`红安县${todayInChina().slice(0, 4)}年建档立卡贫困户台账`);
    expect(ws.getCell('A2').value).to.equal('填报单位：红安县城关镇张家村');
  });

  it('adds a 汇总 sheet after the ledger with 户/人 per category and the summary sentence', async () => {
    const wb = await openWorkbook((await download(adminToken, `regionCode=${COUNTY}&asOf=${AS_OF}`)).body);
    expect(wb.worksheets.map((w) => w.name)).to.deep.equal(['贫困人口明细', '汇总']);
    const ws = wb.getWorksheet('汇总') as ExcelJS.Worksheet;
    const rows: unknown[][] = [];
    ws.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    const headerAt = rows.findIndex((r) => r[0] === '项目');
    expect(rows[headerAt]).to.deep.equal(['项目', '户数', '人数']);
    const table = rows.slice(headerAt + 1, headerAt + 1 + EXPECTED_SUMMARY.length).map((r) => [r[0], r[1], r[2] ?? null]);
    expect(table).to.deep.equal(EXPECTED_SUMMARY);
    expect(rows[rows.length - 1][0]).to.equal(EXPECTED_SENTENCE);
    expect(rows.some((r) => r[0] === '本台账共4户8人')).to.equal(true);
  });

  it('filters by status and by category (evaluated on asOf)', async () => {
    const name = columnOf('national-member-detail', 'members[].name');
    const exited = (await openWorkbook((await download(adminToken, `regionCode=${COUNTY}&status=exited`)).body)).worksheets[0];
    expect([exited.getCell(4, name).value, exited.getCell(5, name).value, exited.getCell(6, name).value]).to.deep.equal(['孙七', '周八', null]);
    const edu = await openWorkbook((await download(adminToken, `regionCode=${COUNTY}&category=education&asOf=${AS_OF}`)).body);
    const ws = edu.worksheets[0];
    expect([4, 5, 6, 7].map((r) => ws.getCell(r, name).value)).to.deep.equal(['王五', '赵六', '王小', null]);
    const summary = edu.getWorksheet('汇总') as ExcelJS.Worksheet;
    const notes: unknown[] = [];
    summary.eachRow((row) => notes.push(row.getCell(1).value));
    expect(notes).to.include('筛选条件：帮扶类别：教育扶贫');
  });

  it('answers 404 for a region outside the caller\'s and 403 for a role that may not export', async () => {
    const township = await tokenFor('county', [CHENGGUAN]);
    const outside = await request(app).get(`/api/v1/exports/ledger.xlsx?regionCode=${WANGJIA}`).set('Authorization', `Bearer ${township}`);
    expect(outside.status).to.equal(404);
    expect(outside.body.error.code).to.equal('REGION_NOT_FOUND');
    expect(outside.headers['content-disposition']).to.equal(undefined);
    const above = await request(app).get(`/api/v1/exports/ledger.csv?regionCode=${COUNTY}`).set('Authorization', `Bearer ${township}`);
    expect(above.status).to.equal(404);
    for (const [role, region] of [['auditor', COUNTY], ['village', ZHANGJIA]] as const) {
      const token = await tokenFor(role, [region]);
      const res = await request(app).get(`/api/v1/exports/ledger.xlsx?regionCode=${COUNTY}`).set('Authorization', `Bearer ${token}`);
      expect(res.status, role).to.equal(403);
      expect(res.body.error.code).to.equal('FORBIDDEN');
    }
    const anonymous = await request(app).get('/api/v1/exports/ledger.xlsx');
    expect(anonymous.status).to.equal(401);
  });

  it('exports only the caller\'s subtree when no region is given', async () => {
    const township = await tokenFor('county', [CHENGGUAN]);
    const wb = await openWorkbook((await download(township, '')).body);
    const ws = wb.worksheets[0];
    const code = columnOf('national-member-detail', 'code');
    const codes = new Set<unknown>();
    ws.eachRow((row, n) => { if (n > 3) codes.add(row.getCell(code).value); });
    expect([...codes]).to.deep.equal([fx.h1.code, fx.h2.code, fx.h3.code]);
  });

  it('names the ledger after the division above a caller\'s several regions and keeps to them', async () => {
    // An admin limited to two villages in two townships: the ledger is the county's, the rows theirs.
    const two = await tokenFor('admin', [ZHANGJIA, WANGJIA]);
    const wb = await openWorkbook((await download(two, '')).body);
    const ws = wb.worksheets[0];
    expect(ws.getCell('A1').value).to.match(/^红安县\d{4}年建档立卡贫困户台账$/);
    expect(ws.getCell('A2').value).to.equal('填报单位：红安县');
    const code = columnOf('national-member-detail', 'code');
    const codes = new Set<unknown>();
    ws.eachRow((row, n) => { if (n > 3) codes.add(row.getCell(code).value); });
    expect([...codes]).to.deep.equal([fx.h1.code, fx.h2.code, fx.h4.code]);
  });

  it('refuses an unknown layout, status or category with 400', async () => {
    for (const q of ['layout=nope', 'status=rich', 'category=housing', 'asOf=2024-02-30', 'regionCode=12']) {
      const res = await request(app).get(`/api/v1/exports/ledger.xlsx?${q}`).set('Authorization', `Bearer ${adminToken}`);
      expect(res.status, q).to.equal(400);
      expect(res.body.error.code).to.equal('VALIDATION_FAILED');
    }
  });

  it('records who exported what: the filter and the row count', async () => {
    await AuditModel.deleteMany({ action: 'export' });
    await download(countyToken, `regionCode=${ZHANGJIA}&status=poor&asOf=${AS_OF}`);
    const entries = await AuditModel.find({ action: 'export' }).lean();
    expect(entries).to.have.length(1);
    const e = entries[0] as unknown as { entity: string; role: string; regionCode: string; details: { filter: Record<string, unknown>; rows: number; households: number; completed: boolean; format: string } };
    expect(e.entity).to.equal('export');
    expect(e.role).to.equal('county');
    expect(e.regionCode).to.equal(ZHANGJIA);
    expect(e.details.filter).to.deep.equal({ regionCode: ZHANGJIA, layout: 'national-member-detail', status: 'poor', category: null, asOf: AS_OF });
    expect(e.details.rows).to.equal(5);
    expect(e.details.households).to.equal(2);
    expect(e.details.completed).to.equal(true);
    expect(e.details.format).to.equal('xlsx');
  });
});
