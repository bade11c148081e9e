/**
 * A region list uploaded as CSV or Excel (DESIGN.md "HTTP API": POST /regions "the same list can
 * be imported from Excel or CSV"): rows of code,name, a header row allowed. Read as a stream with
 * the same caps as ledgers; handed to the regions service.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { AppError } from '../../http/errors';
import { plainCell } from './cell-value';
import { openWorkbook } from './workbook-stream';
import { inspectXlsx } from './zip-guard';
import type { ImportLimits } from './import.service';

/** Splits one CSV line (RFC 4180 quotes, no line breaks inside fields). */
export function csvCells(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out.map((f) => f.trim());
}

function isHeader(cells: unknown[]): boolean {
  const first = cells[0];
  return !(typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first.trim())));
}

/** Rows `[code, name]` of a region file; at most `maxRows`. */
export async function readRegionRows(file: string, limits: ImportLimits): Promise<unknown[][]> {
  const head = Buffer.alloc(4);
  const fd = fs.openSync(file, 'r');
  fs.readSync(fd, head, 0, 4, 0);
  fs.closeSync(fd);
  const rows: unknown[][] = [];
  const push = (cells: unknown[]) => {
    if (cells.every((c) => c === null || c === '')) return;
    if (rows.length === 0 && isHeader(cells) && !rows.length) {
      rows.push([]); // marker removed below
      return;
    }
    if (rows.length > limits.maxRows) throw new AppError('IMPORT_TOO_MANY_ROWS', `At most ${limits.maxRows} regions per file`);
    rows.push(cells.slice(0, 2));
  };
  if (head.readUInt32LE(0) === 0x04034b50) {
    await inspectXlsx(file, limits).catch((err: { code?: string; message?: string }) => {
      throw new AppError((err.code as 'IMPORT_NOT_XLSX') ?? 'IMPORT_NOT_XLSX', err.message);
    });
    const workbook = openWorkbook(file);
    try {
      for await (const sheet of workbook.sheets()) {
        for await (const row of sheet.rows) {
          const values = row.values as unknown[];
          if (values.length > limits.maxColumns + 1) throw new AppError('IMPORT_TOO_MANY_COLUMNS');
          push([plainCell(values[1]), plainCell(values[2])]);
        }
        break;
      }
    } finally {
      workbook.close();
    }
  } else {
    const lines = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const raw of lines) push(csvCells(raw.replace(/^\uFEFF/, '')));
  }
  return rows.filter((r) => r.length > 0);
}
