import { expect } from 'chai';
import ExcelJS from 'exceljs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import request from 'supertest';
import type express from 'express';
import { AuditModel } from '../../../src/audit/audit.model';
import { exportLedger as exportLedgerCli } from '../../../src/ledger/export/export.cli';
import { exportLedger } from '../../../src/ledger/export/export.service';
import { loadLayout } from '../../../src/ledger/layout';
import { maskIdNumber } from '../../../src/registry/id-number';
import { systemActor } from '../../../src/users/actor';
import { resetDatabase } from '../../helpers/db';
import { tokenFor } from '../../helpers/auth';
import { binary, openWorkbook } from '../../helpers/binary';
import { AS_OF, COUNTY, ZHANGJIA, exportApp, loadFixture, type Fixture } from './fixture';


/** RFC 4180, as a spreadsheet program reads it: quoted fields may hold commas, quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; } else if (ch === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; } else field += ch;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

/** The data rows of a category ledger (below title, 填报单位 and header), as arrays of cell values. */
function dataRows(ws: ExcelJS.Worksheet): unknown[][] {
  const out: unknown[][] = [];
  ws.eachRow((row, n) => { if (n > 3) out.push((row.values as unknown[]).slice(1)); });
  return out;
}

describe('ledger exports: per category, CSV, abandoned, command line', () => {
  let app: express.Express;
  let fx: Fixture;
  let admin: string;

  before(async () => {
    await resetDatabase();
    fx = await loadFixture();
    app = exportApp();
    admin = await tokenFor('admin', ['000000000000']);
  });

  async function category(id: string, token = admin): Promise<ExcelJS.Workbook> {
    const res = await request(app).get(`/api/v1/exports/category/${id}.xlsx?regionCode=${COUNTY}&asOf=${AS_OF}`)
      .set('Authorization', `Bearer ${token}`).buffer(true).parse(binary);
    expect(res.status, String(res.body)).to.equal(200);
    return openWorkbook(res.body as Buffer);
  }

  describe('GET /exports/category/:category.xlsx', () => {
    it('lists one row per counted person for a category that counts persons (残疾帮扶: 王五 only)', async () => {
      const wb = await category('disability');
      const ws = wb.worksheets[0];
      expect(ws.name).to.equal('残疾帮扶');
      expect(ws.getCell('A1').value).to.equal('红安县2024年残疾帮扶台账');
      const header = (ws.getRow(3).values as unknown[]).slice(1);
      const rows = dataRows(ws);
      expect(rows).to.have.length(1);
      const at = (label: string) => rows[0][header.indexOf(label)];
      expect(at('姓名')).to.equal('王五');
      expect(at('户主姓名')).to.equal('王五');
      expect(at('户编号')).to.equal(fx.h2.code);
      expect(at('残疾等级')).to.equal('二级');
      expect(at('人编号')).to.equal(`${fx.h2.code}01`);
      expect(String(at('纳入依据'))).to.contain('残疾人');
    });

    it('lists every member the category counts, 户主 first (健康扶贫: 2 + 3 persons)', async () => {
      const ws = (await category('health')).worksheets[0];
      const header = (ws.getRow(3).values as unknown[]).slice(1);
      const names = dataRows(ws).map((r) => r[header.indexOf('姓名')]);
      expect(names).to.deep.equal(['张三', '李四', '王五', '赵六', '王小']);
      expect(dataRows(ws).map((r) => r[0])).to.deep.equal([1, 2, 3, 4, 5]);
    });

    it('lists households with their 户主 for a households-only category (扶贫小额贷款: 3户)', async () => {
      const wb = await category('microloan');
      const ws = wb.worksheets[0];
      const header = (ws.getRow(3).values as unknown[]).slice(1);
      const rows = dataRows(ws);
      expect(rows.map((r) => r[header.indexOf('户编号')])).to.deep.equal([fx.h1.code, fx.h2.code, fx.h4.code]);
      expect(rows.map((r) => r[header.indexOf('户主姓名')])).to.deep.equal(['张三', '王五', "'@SUM(A1)"]);
      expect(header).to.not.include('姓名');
      const reason = String(rows[0][header.indexOf('纳入依据')]);
      expect(reason).to.contain('有发展产业意愿');
      expect(reason).to.contain('扶贫小额信贷余额（元）0<50000（microloan.maxBalance，2014-01-01起）');
      expect(reason).to.contain('有不良信用记录：否');
      const summary = wb.getWorksheet('汇总') as ExcelJS.Worksheet;
      const values: unknown[][] = [];
      summary.eachRow((row) => values.push((row.values as unknown[]).slice(1)));
      expect(values.find((r) => r[0] === '扶贫小额贷款')?.slice(0, 2)).to.deep.equal(['扶贫小额贷款', 3]);
    });

    it('says why a household is in 兜底保障 (低保, 特困)', async () => {
      const ws = (await category('basic-guarantee')).worksheets[0];
      const header = (ws.getRow(3).values as unknown[]).slice(1);
      const rows = dataRows(ws);
      expect(rows.map((r) => r[header.indexOf('姓名')])).to.deep.equal(['张三', '李四', "'@SUM(A1)"]);
      expect(String(rows[0][header.indexOf('纳入依据')])).to.contain('低保户');
      expect(String(rows[2][header.indexOf('纳入依据')])).to.contain('特困供养户');
    });

    it('masks ID numbers for a county export and refuses an unknown category', async () => {
      const county = await tokenFor('county', [COUNTY]);
      const ws = (await category('disability', county)).worksheets[0];
      const header = (ws.getRow(3).values as unknown[]).slice(1);
      expect(dataRows(ws)[0][header.indexOf('证件号码')]).to.equal(maskIdNumber(fx.h2.members[2].idNumber));
      const res = await request(app).get('/api/v1/exports/category/housing.xlsx').set('Authorization', `Bearer ${admin}`);
      expect(res.status).to.equal(400);
    });
  });

  describe('GET /exports/ledger.csv', () => {
    it('is UTF-8 with a BOM, RFC 4180, one row per member, neutralised and parseable', async () => {
      const res = await request(app).get(`/api/v1/exports/ledger.csv?regionCode=${COUNTY}`).set('Authorization', `Bearer ${admin}`).buffer(true).parse(binary);
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
      const body = res.body as Buffer;
      expect([...body.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
      const text = body.toString('utf8').slice(1);
      expect(text.endsWith('\r\n')).to.equal(true);
      const rows = parseCsv(text);
      const labels = loadLayout('national-member-detail').columns.map((c) => c.label);
      expect(rows[0]).to.deep.equal(labels);
      expect(rows).to.have.length(1 + 8);
      const at = (r: number, label: string) => rows[r][labels.indexOf(label)];
      expect(rows.slice(1).map((r) => r[labels.indexOf('姓名')])).to.deep.equal(['张三', '李四', '王五', '赵六', '王小', '孙七', '周八', "'@SUM(A1)"]);
      expect(at(1, '证件号码')).to.equal(fx.h1.members[0].idNumber);
      expect(at(8, '自然村')).to.equal('\'=HYPERLINK("http://example.invalid","点我")');
      expect(at(8, '民族')).to.equal("'\t=1+1");
      expect(at(1, '参加大病医疗')).to.equal('是');
      expect(at(3, '人数')).to.equal('3');
    });

    it('masks ID numbers and phones for a county user', async () => {
      const county = await tokenFor('county', [COUNTY]);
      const res = await request(app).get(`/api/v1/exports/ledger.csv?regionCode=${ZHANGJIA}`).set('Authorization', `Bearer ${county}`).buffer(true).parse(binary);
      const rows = parseCsv((res.body as Buffer).toString('utf8').slice(1));
      const labels = rows[0];
      expect(rows[1][labels.indexOf('证件号码')]).to.equal(maskIdNumber(fx.h1.members[0].idNumber));
      expect(rows[1][labels.indexOf('联系电话')]).to.equal('138****5678');
    });
  });

  describe('an export whose client went away', () => {
    it('stops the cursor, writes nothing more and logs the export as not completed', async () => {
      await AuditModel.deleteMany({ action: 'export' });
      const controller = new AbortController();
      controller.abort();
      const out = new PassThrough();
      const outcome = await exportLedger(systemActor, { regionCode: COUNTY }, 'xlsx', out, { signal: controller.signal });
      expect(outcome.completed).to.equal(false);
      expect(outcome.households).to.equal(0);
      expect(out.destroyed).to.equal(true);
      const entry = await AuditModel.findOne({ action: 'export' }).lean() as unknown as { details: { completed: boolean; rows: number } };
      expect(entry.details.completed).to.equal(false);
      expect(entry.details.rows).to.equal(0);
    });
  });

  describe('exportLedger (command line)', () => {
    it('writes the ledger to a file, xlsx or CSV by its extension, and leaves no partial file', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-export-cli-'));
      try {
        const xlsx = path.join(dir, 'ledger.xlsx');
        const outcome = await exportLedgerCli({ regionCode: COUNTY, layout: 'full-template', out: xlsx, asOf: AS_OF });
        expect(outcome).to.include({ households: 4, rows: 8, completed: true });
        const wb = new ExcelJS.Workbook();
        await wb.xlsx.readFile(xlsx);
        expect(wb.worksheets.map((w) => w.name)).to.deep.equal(['户成员信息', '汇总']);
        const csv = path.join(dir, 'ledger.csv');
        await exportLedgerCli({ regionCode: ZHANGJIA, out: csv });
        expect(parseCsv(fs.readFileSync(csv, 'utf8').slice(1))).to.have.length(1 + 5);
        expect(fs.readdirSync(dir).sort()).to.deep.equal(['ledger.csv', 'ledger.xlsx']);
        let failed: unknown;
        await exportLedgerCli({ regionCode: COUNTY, layout: 'no-such-layout', out: path.join(dir, 'bad.xlsx') }).catch((err: unknown) => { failed = err; });
        expect(failed).to.be.instanceOf(Error);
        expect(fs.readdirSync(dir).sort()).to.deep.equal(['ledger.csv', 'ledger.xlsx']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
