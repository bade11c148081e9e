/**
 * The ledger as CSV (issue 6: "CSV of the same for people who want it"): UTF-8 with a byte-order
 * mark, because Excel opens a BOM-less UTF-8 CSV in the machine's ANSI code page (GBK on Chinese
 * Windows) and shows 台账 as mojibake; RFC 4180 quoting and CRLF line ends; every field through
 * the same neutraliser as the workbook (SECURITY.md "Excel out": a CSV is where formula injection
 * bites first). Rows are batched into chunks and the writer waits for `drain`, so a slow client
 * holds back the cursor instead of filling memory.
 */
import type { Writable } from 'node:stream';
import { csvField, type SafeCellValue } from '../cell';

const BOM = '\uFEFF';
const CHUNK = 64 * 1024;

export class CsvWriter {
  private buffer = '';
  private dataRows = 0;

  constructor(private readonly out: Writable) {}

  get rows(): number {
    return this.dataRows;
  }

  async header(labels: readonly string[]): Promise<void> {
    this.buffer += BOM + labels.map(csvField).join(',') + '\r\n';
    await this.flushIfFull();
  }

  async addRows(rows: readonly SafeCellValue[][]): Promise<void> {
    for (const row of rows) {
      this.buffer += row.map(csvField).join(',') + '\r\n';
    }
    this.dataRows += rows.length;
    await this.flushIfFull();
  }

  /** Writes what is left and ends the output; resolves when the output has taken it. */
  async end(): Promise<void> {
    await this.flush();
    if (this.out.destroyed) return;
    await new Promise<void>((resolve, reject) => {
      this.out.once('error', reject);
      this.out.end(() => resolve());
    });
  }

  private async flushIfFull(): Promise<void> {
    if (this.buffer.length >= CHUNK) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buffer === '' || this.out.destroyed) return;
    const chunk = this.buffer;
    this.buffer = '';
    if (!this.out.write(chunk, 'utf8')) await drained(this.out);
  }
}

/** Resolves on 'drain', or on 'close' (a client that went away never drains); leaves no listener. */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

/**
 * CSV has one header line: a column under a two-level header keeps its label alone unless two
 * columns share it, then the group goes in front (防返贫监测·识别时间).
 */
export function csvHeader(columns: readonly { label: string; group?: string | null }[]): string[] {
  const counts = new Map<string, number>();
  for (const c of columns) counts.set(c.label, (counts.get(c.label) ?? 0) + 1);
  return columns.map((c) => ((counts.get(c.label) ?? 0) > 1 && c.group ? `${c.group}·${c.label}` : c.label));
}
