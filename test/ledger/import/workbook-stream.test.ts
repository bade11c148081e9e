import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { openWorkbook } from '../../../src/ledger/import/workbook-stream';
import { ZipRefused } from '../../../src/ledger/import/zip-guard';
import { makeZip, type ZipPart } from './zip-maker';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workbook-stream-'));
let counter = 0;

function fileOf(buffer: Buffer): string {
  const file = path.join(dir, `w${counter++}.xlsx`);
  fs.writeFileSync(file, buffer);
  return file;
}

/** Every sheet's rows as { sheet: [[rowNumber, values without the unused index 0]] }. */
async function read(file: string): Promise<Record<string, [number, unknown[]][]>> {
  const out: Record<string, [number, unknown[]][]> = {};
  const workbook = openWorkbook(file);
  try {
    for await (const sheet of workbook.sheets()) {
      const rows: [number, unknown[]][] = [];
      for await (const row of sheet.rows) rows.push([row.number, Array.from(row.values).slice(1).map((v) => (v === undefined ? null : v))]);
      out[sheet.name] = rows;
    }
  } finally {
    workbook.close();
  }
  return out;
}

async function refusalOf(file: string): Promise<ZipRefused> {
  try {
    await read(file);
  } catch (err) {
    return err as ZipRefused;
  }
  throw new Error('expected a refusal');
}

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

/** A workbook of hand-written parts, as other software than Excel and exceljs writes them. */
function workbookOf(sheets: { name: string; part: string; xml: string }[], extra: ZipPart[] = [], options: { sharedStringsFirst?: boolean } = {}): Buffer {
  const workbook = `<?xml version="1.0" encoding="UTF-8"?><x:workbook xmlns:x="${MAIN}" xmlns:r="${REL}"><x:sheets>${sheets.map((s, i) => `<x:sheet name="${s.name}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('')}</x:sheets></x:workbook>`;
  const rels = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${sheets.map((s, i) => `<Relationship Id="rId${i + 1}" Type="${REL}/worksheet" Target="${s.part}"/>`).join('')}<Relationship Id="rIdS" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`;
  const parts: ZipPart[] = [
    { name: 'xl/workbook.xml', data: workbook },
    { name: 'xl/_rels/workbook.xml.rels', data: rels },
    ...sheets.map((s) => ({ name: `xl/${s.part}`, data: s.xml })),
  ];
  return makeZip(options.sharedStringsFirst ? [...extra, ...parts] : [...parts, ...extra]);
}

const sheetXml = (rows: string) => `<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="${MAIN}"><x:dimension ref="A1:D4"/><x:sheetData>${rows}</x:sheetData><x:mergeCells count="0"/></x:worksheet>`;

describe('streaming a workbook\'s rows (workbook-stream)', () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads what exceljs writes: shared strings, rich text, formulas, hyperlinks, booleans, errors, numbers', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('台账 & 附表');
    ws.addRow(['户编号', '姓名', '  ', 'a < b & "c"']);
    ws.addRow([
      '4211990010010001',
      { richText: [{ text: '张' }, { text: '三', font: { bold: true } }] },
      { formula: '4000*2', result: 8000 },
      { formula: 'A1&"x"', result: '文本结果' },
      { error: '#N/A' },
      true,
      { text: '链接', hyperlink: 'http://example.invalid' },
      43525,
      '第一行\n第二行',
    ]);
    const file = path.join(dir, 'exceljs.xlsx');
    await wb.xlsx.writeFile(file);
    expect(await read(file)).to.deep.equal({
      '台账 & 附表': [
        [1, ['户编号', '姓名', '  ', 'a < b & "c"']],
        [2, ['4211990010010001', '张三', 8000, '文本结果', null, true, '链接', 43525, '第一行\n第二行']],
      ],
    });
  });

  /*
   * CASE 1: elements under a namespace prefix (<x:row>, <x:c>), as .NET libraries write them.
   * CASE 2: the shared strings stored before the sheets or after them (Excel stores them after):
   *         both read without copying the sheet anywhere first.
   * CASE 3: a shared string with a phonetic guide (<rPh>) reads as its text only; rich text runs
   *         are joined; entities are decoded; an empty <si/> is an empty string.
   * CASE 4: rows and cells without an r attribute follow the one before; an empty <row/> and a
   *         styled empty <c/> hold nothing.
   * CASE 5: t="b", t="e", t="d", t="str", t="inlineStr" with rich runs, and a formula without a
   *         cached value (null).
   * CASE 6: sheets come in tab order (workbook.xml), not in the order of their part numbers.
   */
  it('reads SpreadsheetML as other writers write it', async () => {
    const shared = `<?xml version="1.0" encoding="UTF-8"?><x:sst xmlns:x="${MAIN}" count="4" uniqueCount="4">`
      + '<x:si><x:t>户主</x:t><x:rPh sb="0" eb="2"><x:t>hu zhu</x:t></x:rPh><x:phoneticPr fontId="1"/></x:si>'
      + '<x:si><x:r><x:t xml:space="preserve">王 </x:t></x:r><x:r><x:rPr><x:b/></x:rPr><x:t>小&amp;二</x:t></x:r></x:si>'
      + '<x:si/>'
      + '<x:si><x:t>&#x4E09;&#21313;&lt;&gt;</x:t></x:si></x:sst>';
    const first = sheetXml(
      '<x:row r="2"><x:c r="B2" t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c><x:c r="E2" t="s" s="3"><x:v>3</x:v></x:c><x:c r="F2" t="s"><x:v>2</x:v></x:c></x:row>'
      + '<x:row><x:c r="A3" t="b"><x:v>0</x:v></x:c><x:c r="B3" t="e"><x:v>#REF!</x:v></x:c><x:c r="C3" t="d"><x:v>2019-03-01T00:00:00Z</x:v></x:c><x:c r="D3" t="str"><x:f>A1</x:f><x:v>结果</x:v></x:c><x:c r="E3"><x:f>NOW()</x:f></x:c></x:row>'
      + '<x:row r="5"/><x:row r="6"><x:c r="A6" s="1"/><x:c r="C6" t="inlineStr"><x:is><x:r><x:t>行</x:t></x:r><x:r><x:t>内</x:t></x:r></x:is></x:c><x:c r="D6"><x:v>1.5E3</x:v></x:c></x:row>',
    );
    const second = sheetXml('<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>说明</x:t></x:is></x:c></x:row>');
    const sheets = [{ name: '说明', part: 'worksheets/sheet2.xml', xml: second }, { name: '明细', part: 'worksheets/sheet1.xml', xml: first }];
    const expected = {
      说明: [[1, ['说明']]],
      明细: [
        [2, [null, '户主', '王 小&二', null, '三十<>', '']],
        [3, [false, null, '2019-03-01T00:00:00Z', '结果']],
        [5, []],
        [6, [null, null, '行内', 1500]],
      ],
    };
    for (const sharedStringsFirst of [false, true]) {
      const file = fileOf(workbookOf(sheets, [{ name: 'xl/sharedStrings.xml', data: shared }], { sharedStringsFirst }));
      const rows = await read(file);
      expect(rows).to.deep.equal(expected);
      expect(Object.keys(rows)).to.deep.equal(['说明', '明细']);
    }
  });

  it('keeps a Chinese character whole when it falls across two inflated chunks', async () => {
    // The sheet inflates to 1.5 MB of mostly three-byte characters: several 256 KiB chunk boundaries.
    const rows: string[] = [];
    for (let r = 1; r <= 3000; r++) rows.push(`<x:row r="${r}"><x:c r="A${r}" t="inlineStr"><x:is><x:t>${'贫困户建档立卡'.repeat(20)}</x:t></x:is></x:c></x:row>`);
    const file = fileOf(workbookOf([{ name: 'S', part: 'worksheets/sheet1.xml', xml: sheetXml(rows.join('')) }]));
    const read1 = (await read(file)).S;
    expect(read1).to.have.length(3000);
    expect(read1.every(([, values]) => values[0] === '贫困户建档立卡'.repeat(20))).to.equal(true);
  });

  it('refuses a part that inflates beyond what the zip directory declares, and a cell beyond column XFD', async () => {
    const xml = sheetXml('<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'.repeat(2000));
    const zip = workbookOf([{ name: 'S', part: 'worksheets/sheet1.xml', xml }]);
    // The directory entry of the sheet (the last one written) claims 100 bytes.
    const central = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(100, central + 24);
    const lie = await refusalOf(fileOf(zip));
    expect(lie).to.be.instanceOf(ZipRefused);
    expect(lie.code).to.equal('IMPORT_ZIP_BOMB');

    const wide = await refusalOf(fileOf(workbookOf([{ name: 'S', part: 'worksheets/sheet1.xml', xml: sheetXml('<x:row r="1"><x:c r="XFE1"><x:v>1</x:v></x:c></x:row>') }])));
    expect(wide.code).to.equal('IMPORT_TOO_MANY_COLUMNS');
  });
});
