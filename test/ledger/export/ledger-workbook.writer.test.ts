import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { PassThrough } from 'node:stream';
import { loadLayout } from '../../../src/ledger/layout';
import { LedgerWorkbookWriter } from '../../../src/ledger/export/ledger-workbook.writer';
import { compileColumns, householdRows, type RowContext } from '../../../src/ledger/export/row.mapper';
import type { Household } from '../../../src/registry/household.types';

/** Collects what a writer streams, then opens it with exceljs as a person's Excel would. */
async function written(fill: (out: PassThrough) => Promise<void>): Promise<ExcelJS.Workbook> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await fill(out);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.concat(chunks) as unknown as ExcelJS.Buffer);
  return wb;
}

function household(code: string, names: string[]): Household {
  return {
    code, regionCode: '421122001001', group: '三组', status: 'poor', exitYear: null, identifiedAt: '2014-10-01', standard: 'national',
    dibao: true, tekun: false, tekunCare: null, causes: { main: 'illness', others: ['skills', 'funds'] },
    income: { wage: 12000, business: 3000, transfer: 2400, property: 0, productionCost: 1500 }, perCapitaNetIncome: null,
    housingSafe: true, waterSafe: true, wantsIndustry: true, badCredit: false, microloanBalance: 0, medicalOutOfPocket: 0, suddenHardship: false,
    monitoring: null, helpers: [], supports: [], visits: [], phone: '13812345678',
    members: names.map((name, i) => ({
      name, gender: 'male', idNumber: '11010519491231002X', birthDate: '1949-12-31', relation: i === 0 ? 'spouse' : 'head', ethnicity: '汉族',
      education: 'primary', schooling: 'none', health: 'healthy', disability: null, labor: 'ordinary', employment: 'none', monthsWorked: 0,
      homeSchooling: false, insurance: { medical: true, seriousIllness: true, pension: true },
    })),
  };
}

const ctx: RowContext = {
  reveal: true,
  places: () => ({ county: '红安县', township: '城关镇', village: '张家村' }),
};

describe('LedgerWorkbookWriter', () => {
  it('writes the title, the 填报单位 row, merged two-level headers and freezes the panes below them', async () => {
    const layout = loadLayout('full-template');
    const columns = compileColumns(layout.columns);
    const wb = await written(async (out) => {
      const w = new LedgerWorkbookWriter(out, { sheetName: layout.sheet, title: '红安县2024年建档立卡贫困户台账', unit: '红安县', date: '2024年6月30日', headerRows: 2, columns });
      w.addRows(householdRows(household('421122001001000001', ['李四', '张三']), columns, ctx, 1, true));
      w.addSummary({ sheetName: '汇总', title: 't', notes: ['n'], header: ['项目', '户数', '人数'], rows: [['x', 1, 2]], sentence: '句。' });
      await w.commit();
    });
    const ws = wb.getWorksheet(layout.sheet) as ExcelJS.Worksheet;
    expect(ws.getCell('A1').value).to.equal('红安县2024年建档立卡贫困户台账');
    expect(ws.getCell('A2').value).to.equal('填报单位：红安县');
    expect(String(ws.getRow(2).values)).to.contain('填报日期：2024年6月30日');
    // The title spans every column.
    expect(ws.getCell(1, layout.columns.length).isMerged).to.equal(true);
    // 序号 has no group: its label spans both header rows.
    expect(ws.getCell('A3').value).to.equal('序号');
    expect(ws.getCell('A4').isMerged).to.equal(true);
    // 户基本信息 spans its columns on row 3, labels on row 4.
    expect(ws.getCell('B3').value).to.equal('户基本信息');
    expect(ws.getCell('C3').isMerged).to.equal(true);
    expect((ws.getCell('C3').master as ExcelJS.Cell).address).to.equal('B3');
    expect(ws.getCell('B4').value).to.equal('县');
    const views = ws.views[0] as ExcelJS.WorksheetViewFrozen;
    expect(views.state).to.equal('frozen');
    expect(views.ySplit).to.equal(4);
    // 户主 first, and the ID number is a text cell with the text format.
    const idCol = layout.columns.findIndex((c) => c.field === 'members[].idNumber') + 1;
    const nameCol = layout.columns.findIndex((c) => c.field === 'members[].name') + 1;
    expect(ws.getCell(5, nameCol).value).to.equal('张三');
    expect(ws.getCell(6, nameCol).value).to.equal('李四');
    expect(ws.getCell(5, idCol).type).to.equal(ExcelJS.ValueType.String);
    expect(ws.getCell(5, idCol).numFmt).to.equal('@');
    // Lists of codes become their labels joined by 、.
    const others = layout.columns.findIndex((c) => c.field === 'causes.others') + 1;
    expect(ws.getCell(5, others).value).to.equal('缺技术、缺资金');
    // The summary sheet comes after the ledger.
    expect(wb.worksheets.map((s) => s.name)).to.deep.equal([layout.sheet, '汇总']);
  });

  it('goes on in a new sheet with the same header past the row limit, never splitting a household', async () => {
    const layout = loadLayout('national-member-detail');
    const columns = compileColumns(layout.columns);
    const wb = await written(async (out) => {
      const w = new LedgerWorkbookWriter(out, { sheetName: layout.sheet, title: 'T', unit: 'U', date: 'D', headerRows: 1, columns, maxRowsPerSheet: 3 });
      let seq = 1;
      for (const [i, names] of [['a', 'b'], ['c'], ['d', 'e'], ['f']].entries()) {
        const rows = householdRows(household(`42112200100100000${i}`, names), columns, ctx, seq, true);
        w.addRows(rows);
        seq += rows.length;
      }
      expect(w.sheets).to.equal(2);
      expect(w.rows).to.equal(6);
      await w.commit();
    });
    expect(wb.worksheets.map((s) => s.name)).to.deep.equal([layout.sheet, `${layout.sheet}(2)`]);
    const [first, second] = wb.worksheets;
    expect(first.getCell('A3').value).to.equal('序号');
    expect(second.getCell('A3').value).to.equal('序号');
    expect(first.getCell('A4').value).to.equal(1);
    expect(first.getCell('A6').value).to.equal(3);
    expect(first.getCell('A7').value).to.equal(null);
    expect(second.getCell('A4').value).to.equal(4);
    expect(second.getCell('A6').value).to.equal(6);
  });
});
