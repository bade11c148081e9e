/**
 * Streams the rows of a ledger workbook with exceljs' WorkbookReader (STYLE.md 19; PERF-NOTES.md:
 * the in-memory reader needs 3.7 GB at county size). Worksheets are emitted, shared strings
 * cached, styles, hyperlinks and images never read. The first sheet whose header matches the
 * layout is the data sheet; the caps on rows and columns stop the loop whatever the file claims.
 */
import { openWorkbook } from './workbook-stream';
import type { Layout } from '../layout';
import type { PlainCell } from './cell-value';
import { plainCell } from './cell-value';
import { findHeader, type HeaderMatch } from './header';
import { ZipRefused } from './zip-guard';

/** Rows read before deciding where the header is (title, 填报单位, notes, two header rows). */
export const HEADER_SCAN_ROWS = 30;

export type LedgerEvent =
  | { kind: 'header'; sheet: string; header: HeaderMatch }
  | { kind: 'row'; sheet: string; row: number; cells: unknown[] };

export class HeaderNotFound extends Error {
  constructor(readonly missing: string[], message: string) {
    super(message);
  }
}

/**
 * Yields the header of the data sheet, then its rows (raw exceljs values, 1-based). Throws
 * HeaderNotFound when no sheet has the layout's header, ZipRefused on a cap.
 */
export async function* readLedger(file: string, layout: Layout, limits: { maxRows: number; maxColumns: number }): AsyncGenerator<LedgerEvent> {
  const workbook = openWorkbook(file);
  let bestMissing: string[] | null = null;
  const decide = (head: PlainCell[][], numbers: number[]): HeaderMatch | null => {
    const found = findHeader(layout, head, numbers);
    if (!found) return null;
    if (found.missing.length > 0) {
      if (!bestMissing || found.missing.length < bestMissing.length) bestMissing = found.missing.map((c) => c.label);
      return null;
    }
    return found;
  };
  try {
    for await (const { name, rows: worksheet } of workbook.sheets()) {
      const head: PlainCell[][] = [];
      const rawHead: unknown[][] = [];
      const numbers: number[] = [];
      let header: HeaderMatch | null = null;
      let skipping = false;
      let rows = 0;
      for await (const row of worksheet) {
        const values = row.values as unknown[];
        if (values.length > limits.maxColumns + 1) {
          throw new ZipRefused('IMPORT_TOO_MANY_COLUMNS', `Row ${row.number} of sheet ${name} has ${values.length - 1} columns; at most ${limits.maxColumns} are accepted`);
        }
        if (++rows > limits.maxRows + HEADER_SCAN_ROWS) {
          throw new ZipRefused('IMPORT_TOO_MANY_ROWS', `Sheet ${name} has more than ${limits.maxRows} data rows`);
        }
        if (header) {
          yield { kind: 'row', sheet: name, row: row.number, cells: values };
          continue;
        }
        // Not the data sheet: read on to its end (the zip is one stream) but keep nothing.
        if (skipping) continue;
        head.push(values.map(plainCell));
        rawHead.push(values);
        numbers.push(row.number);
        if (head.length < HEADER_SCAN_ROWS) continue;
        header = decide(head, numbers);
        if (!header) {
          skipping = true;
          continue;
        }
        yield* replay(name, header, rawHead, numbers);
      }
      if (!header && !skipping) {
        header = decide(head, numbers);
        if (header) yield* replay(name, header, rawHead, numbers);
      }
      if (header) return;
    }
  } finally {
    workbook.close();
  }
  const missing: string[] = bestMissing ?? [];
  throw new HeaderNotFound(missing, missing.length
    ? `The header lacks required columns: ${missing.join('、')}`
    : `No sheet has the header of layout ${layout.id} (${layout.columns.filter((c) => c.required).map((c) => c.label).join('、')})`);
}

/** The header, then the rows read while looking for it. */
function* replay(sheet: string, header: HeaderMatch, rawHead: unknown[][], numbers: number[]): Generator<LedgerEvent> {
  yield { kind: 'header', sheet, header };
  for (let i = 0; i < rawHead.length; i++) {
    if (numbers[i] > header.lastHeaderRow) yield { kind: 'row', sheet, row: numbers[i], cells: rawHead[i] };
  }
}
