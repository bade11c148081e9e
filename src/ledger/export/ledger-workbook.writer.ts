/**
 * A county ledger workbook written as it streams (STYLE.md 19; PERF-NOTES.md "exceljs"): exceljs'
 * streaming WorkbookWriter straight onto the output, rows committed one by one, no shared
 * strings. Each ledger sheet opens the way county ledgers do: a title row, a 填报单位 / 填报日期
 * row, then one or two header rows (merged where a group spans several columns), with the panes
 * frozen below the header so the header stays in view.
 *
 * The streaming writer still holds a sheet's XML until the sheet is committed (about 1 KB a
 * row, exceljs issues #1894 and #2916), so past `maxRowsPerSheet` rows the ledger goes on in a
 * new sheet with the same header. A household's rows are never split between two sheets.
 */
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { safeCellValue, type SafeCellValue } from '../cell';
import type { SheetColumn } from './row.mapper';

/** Excel's hard limit is 1,048,576 rows; PERF-NOTES.md says split at about a million. */
export const MAX_ROWS_PER_SHEET = 1_000_000;

export interface LedgerSheetSpec {
  /** Base name of the ledger sheet(s); the second is named `name(2)` and so on. */
  sheetName: string;
  /** 「××县2024年建档立卡贫困户台账」. */
  title: string;
  /** 填报单位 (the unit that exports: the region's name). */
  unit: string;
  /** 填报日期, already written out (2024年6月30日). */
  date: string;
  headerRows: 1 | 2;
  columns: readonly SheetColumn[];
  maxRowsPerSheet?: number;
}

export interface SummarySpec {
  sheetName: string;
  title: string;
  /** Lines above the table (填报单位, 统计日期, 筛选条件). */
  notes: readonly string[];
  header: readonly string[];
  rows: readonly (readonly (string | number | null)[])[];
  /** The summary sentence, written below the table. */
  sentence: string;
}

const thin = { style: 'thin' as const };
const border: Partial<ExcelJS.Borders> = { top: thin, left: thin, bottom: thin, right: thin };
const headerStyle: Partial<ExcelJS.Style> = {
  font: { bold: true },
  alignment: { horizontal: 'center', vertical: 'middle', wrapText: true },
  border,
  fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } },
};
const titleStyle: Partial<ExcelJS.Style> = {
  font: { bold: true, size: 16 },
  alignment: { horizontal: 'center', vertical: 'middle' },
};

/** Sheet names: at most 31 characters, none of : \ / ? * [ ]. */
export function sheetName(name: string): string {
  return name.replace(/[:\\/?*[\]]/g, '_').slice(0, 31) || 'Sheet';
}

export class LedgerWorkbookWriter {
  private readonly workbook: ExcelJS.stream.xlsx.WorkbookWriter;
  private sheet: ExcelJS.Worksheet | null = null;
  private rowsInSheet = 0;
  private sheetCount = 0;
  private dataRows = 0;
  private readonly maxRows: number;
  private readonly headerEnd: number;
  private readonly cellStyles: Partial<ExcelJS.Style>[];

  constructor(out: Writable, private readonly spec: LedgerSheetSpec) {
    this.workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
      stream: out,
      useStyles: true,
      useSharedStrings: false,
      // Deflate is most of the commit time of a 350k-row sheet; level 1 is several times faster
      // for a file about 15% larger.
      zip: { zlib: { level: 1 } },
    });
    this.workbook.creator = 'fupin-registry';
    this.maxRows = spec.maxRowsPerSheet ?? MAX_ROWS_PER_SHEET;
    // Title, 填报单位, then the header rows.
    this.headerEnd = 2 + spec.headerRows;
    this.cellStyles = spec.columns.map((c) => (c.numFmt ? { numFmt: c.numFmt } : {}));
  }

  get rows(): number {
    return this.dataRows;
  }

  get sheets(): number {
    return this.sheetCount;
  }

  /** Writes one household's rows, in a new sheet when they would not fit in this one. */
  addRows(rows: readonly SafeCellValue[][]): void {
    if (!this.sheet || (this.rowsInSheet > 0 && this.rowsInSheet + rows.length > this.maxRows)) this.openSheet();
    const sheet = this.sheet as ExcelJS.Worksheet;
    const styles = this.cellStyles;
    for (const values of rows) {
      const row = sheet.addRow(values);
      // One shared style object per column: exceljs caches a style's id by object identity, and
      // the fresh object each cell otherwise gets is re-serialised to find its id (about a third
      // of the writer's time at county size).
      for (let c = 0; c < styles.length; c++) {
        if (values[c] !== null && values[c] !== undefined) row.getCell(c + 1).style = styles[c];
      }
      row.commit();
    }
    this.rowsInSheet += rows.length;
    this.dataRows += rows.length;
  }

  /** Ends the ledger sheet(s) and writes the summary sheet after them (it is known only now). */
  addSummary(summary: SummarySpec): void {
    if (!this.sheet) this.openSheet();
    this.sheet?.commit();
    const ws = this.workbook.addWorksheet(sheetName(summary.sheetName));
    const width = Math.max(summary.header.length, 3);
    ws.columns = [{ width: 28 }, ...Array.from({ length: width - 1 }, () => ({ width: 12 }))];
    const title = ws.addRow([safeCellValue(summary.title)]);
    title.height = 28;
    title.getCell(1).style = titleStyle;
    ws.mergeCells(1, 1, 1, width);
    title.commit();
    for (const note of summary.notes) ws.addRow([safeCellValue(note)]).commit();
    const header = ws.addRow(summary.header.map(safeCellValue));
    header.eachCell((cell) => { cell.style = headerStyle; });
    header.commit();
    for (const r of summary.rows) {
      const row = ws.addRow(r.map(safeCellValue));
      for (let c = 1; c <= summary.header.length; c++) row.getCell(c).border = border;
      row.commit();
    }
    ws.addRow([]).commit();
    const sentenceRow = ws.addRow([safeCellValue(summary.sentence)]);
    sentenceRow.getCell(1).alignment = { wrapText: true, vertical: 'top' };
    sentenceRow.height = 48;
    ws.mergeCells(sentenceRow.number, 1, sentenceRow.number, width + 3);
    sentenceRow.commit();
    ws.commit();
  }

  /** Commits everything; resolves when the output has taken the last byte. */
  async commit(): Promise<void> {
    if (!this.sheet) this.openSheet();
    await this.workbook.commit();
  }

  /** Stops without finishing the file (the client went away): frees the zip and its buffers. */
  abort(): void {
    const zip = (this.workbook as unknown as { zip?: { abort?: () => void } }).zip;
    zip?.abort?.();
  }

  private openSheet(): void {
    this.sheet?.commit();
    this.sheetCount++;
    const { spec } = this;
    const name = sheetName(this.sheetCount === 1 ? spec.sheetName : `${spec.sheetName.slice(0, 26)}(${this.sheetCount})`);
    const ws = this.workbook.addWorksheet(name, {
      views: [{ state: 'frozen', xSplit: 0, ySplit: this.headerEnd, topLeftCell: `A${this.headerEnd + 1}`, activeCell: `A${this.headerEnd + 1}` }],
    });
    ws.columns = spec.columns.map((c) => ({ width: c.width, style: c.numFmt ? { numFmt: c.numFmt } : {} }));
    this.writeHead(ws);
    this.sheet = ws;
    this.rowsInSheet = 0;
  }

  private writeHead(ws: ExcelJS.Worksheet): void {
    const { spec } = this;
    const n = spec.columns.length;
    const title = ws.addRow([safeCellValue(spec.title)]);
    title.height = 30;
    title.getCell(1).style = titleStyle;
    if (n > 1) ws.mergeCells(1, 1, 1, n);

    // 填报单位 on the left, 填报日期 on the right half, as printed ledgers lay them out.
    const unit = `填报单位：${spec.unit}`;
    const date = `填报日期：${spec.date}`;
    const split = Math.ceil(n / 2);
    const unitRow = ws.addRow(n >= 4 ? [safeCellValue(unit)] : [safeCellValue(`${unit}  ${date}`)]);
    if (n >= 4) {
      unitRow.getCell(split + 1).value = safeCellValue(date);
      unitRow.getCell(split + 1).alignment = { horizontal: 'right' };
      ws.mergeCells(2, 1, 2, split);
      ws.mergeCells(2, split + 1, 2, n);
    }

    const upper = ws.addRow([]);
    const lower = spec.headerRows === 2 ? ws.addRow([]) : null;
    for (let i = 0; i < n; i++) {
      const c = spec.columns[i];
      const col = i + 1;
      if (!lower) {
        upper.getCell(col).value = safeCellValue(c.label);
        continue;
      }
      if (!c.group) {
        upper.getCell(col).value = safeCellValue(c.label);
        ws.mergeCells(upper.number, col, lower.number, col);
        continue;
      }
      lower.getCell(col).value = safeCellValue(c.label);
      // The group's upper cell spans the run of neighbouring columns that share it.
      if (i === 0 || spec.columns[i - 1].group !== c.group) {
        let end = i;
        while (end + 1 < n && spec.columns[end + 1].group === c.group) end++;
        upper.getCell(col).value = safeCellValue(c.group);
        if (end > i) ws.mergeCells(upper.number, col, upper.number, end + 1);
      }
    }
    for (const row of lower ? [upper, lower] : [upper]) {
      for (let col = 1; col <= n; col++) row.getCell(col).style = { ...headerStyle, numFmt: 'General' };
      row.height = 30;
    }
    title.commit();
    unitRow.commit();
    upper.commit();
    lower?.commit();
  }
}
