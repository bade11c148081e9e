/**
 * GET /imports/:id/errors.xlsx: the rows that were not imported, as they were read, with a
 * 错误原因 column (STYLE.md 20, after Ghost's members importer). The header is the ledger's own
 * labels, so the file is found by the same layout when the cadre fixes it and uploads it again;
 * the 错误原因 column is not a layout column and is ignored then.
 */
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { safeCellValue, TEXT_FORMAT } from '../cell';

export const REASON_LABEL = '错误原因';

export interface ErrorWorkbookInput {
  sheet: string;
  headerTexts: string[];
  rows: AsyncIterable<{ row: number; texts: string[]; reason: string }>;
}

export async function writeErrorWorkbook(out: Writable, input: ErrorWorkbookInput): Promise<number> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const sheet = workbook.addWorksheet(input.sheet.slice(0, 31) || 'Sheet1', { views: [{ state: 'frozen', ySplit: 1 }] });
  const width = Math.max(input.headerTexts.length - 1, 1);
  // Every cell is text: ID numbers keep their digits, and nothing is evaluated.
  sheet.columns = [
    ...Array.from({ length: width }, (_, i) => ({ width: Math.min(Math.max((input.headerTexts[i + 1] ?? '').length * 2 + 2, 8), 24), style: { numFmt: TEXT_FORMAT } })),
    { width: 60 },
  ];
  const header = sheet.addRow([...Array.from({ length: width }, (_, i) => safeCellValue(input.headerTexts[i + 1] ?? '')), REASON_LABEL]);
  header.font = { bold: true };
  header.commit();
  let count = 0;
  for await (const r of input.rows) {
    const cells = Array.from({ length: width }, (_, i) => {
      const text = r.texts[i + 1] ?? '';
      return text === '' ? null : safeCellValue(text);
    });
    const row = sheet.addRow([...cells, safeCellValue(`第${r.row}行：${r.reason}`)]);
    row.getCell(width + 1).font = { color: { argb: 'FFC00000' } };
    row.commit();
    count++;
  }
  sheet.commit();
  await workbook.commit();
  return count;
}
