/**
 * exceljs' streaming WorkbookReader opened the one way the importers use it: worksheets emitted,
 * shared strings cached, styles and hyperlinks ignored, images never read (SECURITY.md "Excel
 * in"), with the sheet's name, and with exceljs' UTF-8 chunking bug repaired (below).
 */
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import ExcelJS from 'exceljs';

export interface SheetRow {
  number: number;
  values: unknown;
}

interface SheetReader extends AsyncIterable<{ number: number; values: unknown }> {
  id: string | number;
  name?: string;
  iterator: AsyncIterable<Buffer | string>;
}

/*
 * exceljs 4.4 decodes each chunk of XML on its own (utils/parse-sax.js: TextDecoder.decode without
 * `stream`), so a Chinese character split between two chunks becomes "��". Two repairs, both from
 * outside the library: every zip entry is switched to UTF-8 strings as it is emitted (fixes the
 * shared strings and the sheets read straight from the zip), and a sheet that exceljs spooled to
 * a temporary file is read through a StringDecoder (fixes sheets stored before the shared strings,
 * as Excel and exceljs' own writer store them).
 */
function decodeEntriesAsUtf8(input: fs.ReadStream): void {
  const pipe = input.pipe.bind(input);
  input.pipe = (<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }) => {
    (destination as unknown as Readable).on('data', (entry: { setEncoding?: (e: BufferEncoding) => void }) => entry?.setEncoding?.('utf8'));
    return pipe(destination, options);
  }) as typeof input.pipe;
}

async function* utf8Chunks(source: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of source) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (text) yield text;
  }
  const tail = decoder.end();
  if (tail) yield tail;
}

function sheetName(reader: ExcelJS.stream.xlsx.WorkbookReader, sheet: SheetReader): string {
  const r = reader as unknown as { model?: { sheets?: { id: number; name: string; rId: string }[] }; workbookRels?: { Id: string; Target: string }[] };
  const rel = r.workbookRels?.find((x) => x.Target.replace(/^\/?xl\//, '') === `worksheets/sheet${sheet.id}.xml`);
  const entry = r.model?.sheets?.find((s) => s.rId === rel?.Id);
  return entry?.name ?? `Sheet${sheet.id}`;
}


export interface OpenWorkbook {
  /** The worksheets in file order, each with its name and its rows (1-based `values`). */
  sheets(): AsyncGenerator<{ name: string; rows: AsyncIterable<SheetRow> }>;
  /** Stops reading (destroys the file stream). */
  close(): void;
}

export function openWorkbook(file: string): OpenWorkbook {
  const input = fs.createReadStream(file);
  decodeEntriesAsUtf8(input);
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    worksheets: 'emit', sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'ignore', entries: 'ignore',
  });
  return {
    async *sheets() {
      for await (const worksheet of reader as unknown as AsyncIterable<SheetReader>) {
        const name = sheetName(reader, worksheet);
        worksheet.iterator = utf8Chunks(worksheet.iterator);
        yield { name, rows: worksheet };
      }
    },
    close() {
      input.destroy();
    },
  };
}
