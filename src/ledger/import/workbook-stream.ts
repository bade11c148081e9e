/**
 * Streams the worksheets of an .xlsx as rows of plain cell values (SECURITY.md "Excel in": a
 * streaming reader, caps, no images). Parts are read straight from the zip by the offsets of its
 * central directory (the one zip-guard.ts has already checked), inflated with zlib as a stream, and
 * the SpreadsheetML of each part is scanned for the few elements a ledger needs: `<row>`, `<c>`,
 * `<v>`, `<f>`, `<is>`/`<t>` and the shared strings' `<si>`.
 *
 * Why not exceljs' WorkbookReader (STYLE.md 19 names it): measured on a national export of 35k
 * member rows (27 columns, 40 MB of sheet XML), it read 5k rows per CPU-second, a third of it in
 * garbage collection of the Row and Cell objects it builds for every row, and it copies every
 * sheet stored before its shared strings (as Excel and exceljs store them) to a temporary file
 * first. A 100k-household county took 70 s to read alone against issue 6's 23 s for read,
 * validation and writes together. This reader does the same work in a tenth of the time.
 *
 * What a person reads is what comes out, as with exceljs' values seen through plainCell:
 * - shared strings and inline strings as their text, rich text runs joined, phonetic runs
 *   (`<rPh>`, the furigana/pinyin guides) left out;
 * - a formula cell as its cached result (`<v>`), an error cell (#N/A) as null, a boolean cell
 *   as true/false, a number as a number (dates stay Excel serials: cell-value.ts reads them by
 *   column type), a `t="d"` cell as its ISO text;
 * - XML entities decoded.
 * Styles, hyperlinks, drawings and images are never opened. A part that inflates beyond the size
 * its directory entry declared is refused as a zip bomb, whatever the directory said.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import zlib from 'node:zlib';
import { readCentralDirectory, ZipRefused, type ZipEntry } from './zip-guard';

export interface SheetRow {
  number: number;
  /** Cell values by 1-based column (index 0 unused), as exceljs' `row.values`: empty cells absent. */
  values: unknown[];
}

export interface OpenWorkbook {
  /** The worksheets in tab order, each with its name and its rows. */
  sheets(): AsyncGenerator<{ name: string; rows: AsyncIterable<SheetRow> }>;
  /** Stops reading (destroys the open streams). */
  close(): void;
}

/** Excel's last column (XFD): a cell reference beyond it is not a worksheet of Excel's. */
const MAX_EXCEL_COLUMN = 16_384;
/** Bytes read from the file per chunk; inflated chunks are about 8 times larger. */
const CHUNK = 256 * 1024;
/** The most a single row's XML may take: 16,384 cells of long text fit easily. */
const MAX_ROW_CHARS = 64 * 1024 * 1024;

const LOCAL = 0x04034b50;

const notXlsx = (why: string) => new ZipRefused('IMPORT_NOT_XLSX', `The file is not a readable .xlsx workbook (${why})`);

// ------------------------------------------------------------------ XML text

const ENTITY = /&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntity(_match: string, name: string): string {
  if (name.charCodeAt(0) !== 35) return NAMED[name];
  const code = name.charCodeAt(1) === 120 ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
  return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
}

/**
 * A copy of `text` that does not keep the chunk of XML it was cut from alive. V8 makes a slice of
 * 13 characters or more a view on its parent string: an ID number kept in the import's map of the
 * file's persons kept its whole chunk in memory, and at county size every chunk of the sheet
 * (measured: 1.5 GB of heap in a dry run of 100k households). Appending a character makes a
 * rope that slice() flattens into a new string the size of the value.
 */
function detached(text: string): string {
  return text.length < 13 ? text : `${text} `.slice(0, -1);
}

/** Element text as written in the XML, to the text a person sees (a string of its own). */
export function xmlText(raw: string): string {
  let text = raw;
  if (text.includes('<![CDATA[')) text = text.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, (_m, data: string) => data.replace(/&/g, '&amp;').replace(/</g, '&lt;'));
  if (text.includes('&')) text = text.replace(ENTITY, decodeEntity);
  // Excel's _xHHHH_ escapes stay as written: exceljs, which writes our exports, neither writes nor
  // reads them, and an export must read back as it was written.
  return detached(text);
}

/** True when the character after a tag name ends the name (`<c ` / `<c>` / `<c/>`, not `<col`). */
function endsName(xml: string, at: number): boolean {
  const ch = xml.charCodeAt(at);
  return ch === 32 || ch === 62 || ch === 47 || ch === 9 || ch === 10 || ch === 13;
}

/** Index of the next `<name` element (the whole name) at or after `from`, or -1. */
function findOpen(xml: string, tag: string, from: number, to = xml.length): number {
  let at = xml.indexOf(tag, from);
  while (at !== -1 && at + tag.length < to) {
    if (endsName(xml, at + tag.length)) return at;
    at = xml.indexOf(tag, at + tag.length);
  }
  return -1;
}

function isSpace(ch: number): boolean {
  return ch === 32 || ch === 9 || ch === 10 || ch === 13;
}

/**
 * The value of attribute `name` in the open tag `xml[from, to)` (`r="B7"`), or null. Scans in
 * place: a county is a million cells, and slicing each tag to search it costs a sixth of the read.
 */
function attribute(xml: string, from: number, to: number, name: string): string | null {
  let at = xml.indexOf(name, from);
  while (at !== -1 && at < to) {
    let i = at + name.length;
    if (isSpace(xml.charCodeAt(at - 1))) {
      while (isSpace(xml.charCodeAt(i))) i++;
      if (xml.charCodeAt(i) === 61) {
        i++;
        while (isSpace(xml.charCodeAt(i))) i++;
        const quote = xml[i];
        if (quote !== '"' && quote !== "'") return null;
        const end = xml.indexOf(quote, i + 1);
        return end === -1 || end > to ? null : xml.slice(i + 1, end);
      }
    }
    at = xml.indexOf(name, i);
  }
  return null;
}

/**
 * The text of the `<t>` elements inside `xml[from, to)` (a shared string's `<si>` or a cell's
 * `<is>`): runs joined, phonetic guides (`<rPh>`) skipped.
 */
function runsText(xml: string, from: number, to: number, p: string): string {
  const tOpen = `<${p}t`;
  const tClose = `</${p}t>`;
  const rph = `<${p}rPh`;
  const rphClose = `</${p}rPh>`;
  let text = '';
  let at = from;
  for (;;) {
    const t = findOpen(xml, tOpen, at, to);
    if (t === -1) break;
    const phonetic = findOpen(xml, rph, at, to);
    if (phonetic !== -1 && phonetic < t) {
      const end = xml.indexOf(rphClose, phonetic);
      if (end === -1 || end >= to) break;
      at = end + rphClose.length;
      continue;
    }
    const tagEnd = xml.indexOf('>', t);
    if (tagEnd === -1 || tagEnd >= to) break;
    if (xml.charCodeAt(tagEnd - 1) === 47) {
      at = tagEnd + 1;
      continue;
    }
    const end = xml.indexOf(tClose, tagEnd);
    if (end === -1 || end > to) break;
    text += xml.slice(tagEnd + 1, end);
    at = end + tClose.length;
  }
  return xmlText(text);
}

// ------------------------------------------------------------------ zip parts

interface Zip {
  file: string;
  entries: Map<string, ZipEntry>;
  /** Streams open now, destroyed by close(). */
  open: Set<Readable>;
}

/** The inflated text of a zip part, chunk by chunk (UTF-8 sequences split between chunks kept whole). */
async function* partText(zip: Zip, entry: ZipEntry): AsyncGenerator<string> {
  const handle = await fsp.open(zip.file, 'r');
  let dataStart: number;
  try {
    const local = Buffer.alloc(30);
    const { bytesRead } = await handle.read(local, 0, 30, entry.localHeaderOffset);
    if (bytesRead < 30 || local.readUInt32LE(0) !== LOCAL) throw notXlsx('broken zip entry');
    dataStart = entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  } finally {
    await handle.close();
  }
  if (entry.method !== 0 && entry.method !== 8) throw new ZipRefused('IMPORT_NOT_XLSX', 'The workbook uses a compression method Excel does not write');
  if (entry.compressedSize === 0) return;
  const raw = fs.createReadStream(zip.file, { start: dataStart, end: dataStart + entry.compressedSize - 1, highWaterMark: CHUNK });
  let source: Readable = raw;
  if (entry.method === 8) {
    const inflate = zlib.createInflateRaw({ chunkSize: CHUNK });
    source = pipeline(raw, inflate, () => undefined);
    zip.open.add(inflate);
  }
  zip.open.add(raw);
  const decoder = new StringDecoder('utf8');
  let inflated = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      inflated += chunk.length;
      if (inflated > entry.uncompressedSize) {
        throw new ZipRefused('IMPORT_ZIP_BOMB', `Part ${entry.name} inflates beyond the ${entry.uncompressedSize} bytes its directory entry declares`);
      }
      const text = decoder.write(chunk);
      if (text) yield text;
    }
  } catch (err) {
    if (err instanceof ZipRefused) throw err;
    throw notXlsx(`corrupt part ${entry.name}`);
  } finally {
    source.destroy();
    raw.destroy();
    zip.open.delete(source);
    zip.open.delete(raw);
  }
  const tail = decoder.end();
  if (tail) yield tail;
}

/** A small part (workbook.xml, its relationships) as one string. */
async function smallPart(zip: Zip, name: string): Promise<string | null> {
  const entry = zip.entries.get(name);
  if (!entry) return null;
  if (entry.uncompressedSize > 16 * 1024 * 1024) throw new ZipRefused('IMPORT_ZIP_BOMB', `Part ${name} is ${entry.uncompressedSize} bytes; a workbook's ${name} is a few kilobytes`);
  let text = '';
  for await (const chunk of partText(zip, entry)) text += chunk;
  return text;
}

/** The namespace prefix of SpreadsheetML elements in a part (`x:` in `<x:worksheet …>`), or ''. */
function prefixOf(xml: string, root: string): string {
  const match = new RegExp(`<([A-Za-z_][\\w.-]*:)?${root}[\\s>/]`).exec(xml);
  return match?.[1] ?? '';
}

/** `xl/worksheets/sheet1.xml` from a relationship target relative to `xl/` (or absolute). */
function partName(target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const parts = `xl/${target}`.split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '..') out.pop();
    else if (part !== '.' && part !== '') out.push(part);
  }
  return out.join('/');
}

interface SheetRef {
  name: string;
  part: string;
}

/** The worksheets in tab order, and the shared strings part, from workbook.xml and its relationships. */
async function workbookParts(zip: Zip): Promise<{ sheets: SheetRef[]; sharedStrings: string | null }> {
  const workbook = await smallPart(zip, 'xl/workbook.xml');
  if (workbook === null) throw new ZipRefused('IMPORT_NOT_XLSX', 'The file is a zip but not an .xlsx workbook (no xl/workbook.xml)');
  const rels = (await smallPart(zip, 'xl/_rels/workbook.xml.rels')) ?? '';
  const targets = new Map<string, { type: string; target: string }>();
  for (const match of rels.matchAll(/<(?:[\w.-]+:)?Relationship\s[^>]*>/g)) {
    const tag = match[0];
    const id = attribute(tag, 0, tag.length, 'Id');
    const target = attribute(tag, 0, tag.length, 'Target');
    if (id && target) targets.set(id, { type: attribute(tag, 0, tag.length, 'Type') ?? '', target: xmlText(target) });
  }
  const sheets: SheetRef[] = [];
  const p = prefixOf(workbook, 'workbook');
  for (const match of workbook.matchAll(new RegExp(`<${p}sheet\\s[^>]*>`, 'g'))) {
    const name = xmlText(attribute(match[0], 0, match[0].length, 'name') ?? '');
    const id = /\s[\w.-]*:?id\s*=\s*"([^"]*)"/.exec(match[0])?.[1];
    const rel = id ? targets.get(id) : undefined;
    if (!rel || !rel.type.endsWith('/worksheet')) continue; // chart sheets and dialogs have no rows
    const part = partName(rel.target);
    if (zip.entries.has(part)) sheets.push({ name: name || part, part });
  }
  if (sheets.length === 0) {
    // No usable relationships: take the worksheet parts in the order of their numbers.
    const parts = [...zip.entries.keys()].filter((n) => /^xl\/worksheets\/sheet\d+\.xml$/.test(n));
    parts.sort((a, b) => Number(/(\d+)\.xml$/.exec(a)?.[1]) - Number(/(\d+)\.xml$/.exec(b)?.[1]));
    for (const part of parts) sheets.push({ name: `Sheet${/(\d+)\.xml$/.exec(part)?.[1]}`, part });
  }
  const shared = [...targets.values()].find((t) => t.type.endsWith('/sharedStrings'));
  const sharedPart = shared ? partName(shared.target) : 'xl/sharedStrings.xml';
  return { sheets, sharedStrings: zip.entries.has(sharedPart) ? sharedPart : null };
}

/** Every `<si>` of the shared strings part, as text, in order. */
async function readSharedStrings(zip: Zip, part: string): Promise<string[]> {
  const strings: string[] = [];
  let xml = '';
  let p: string | null = null;
  for await (const chunk of partText(zip, zip.entries.get(part) as ZipEntry)) {
    xml = xml ? xml + chunk : chunk;
    if (p === null) {
      if (!/<([A-Za-z_][\w.-]*:)?sst[\s>/]/.test(xml)) continue;
      p = prefixOf(xml, 'sst');
    }
    const siOpen = `<${p}si`;
    const siClose = `</${p}si>`;
    let at = 0;
    for (;;) {
      const start = findOpen(xml, siOpen, at);
      if (start === -1) break;
      const tagEnd = xml.indexOf('>', start);
      if (tagEnd === -1) break;
      if (xml.charCodeAt(tagEnd - 1) === 47) {
        strings.push('');
        at = tagEnd + 1;
        continue;
      }
      const end = xml.indexOf(siClose, tagEnd);
      if (end === -1) break;
      strings.push(runsText(xml, tagEnd + 1, end, p));
      at = end + siClose.length;
    }
    xml = xml.slice(at);
  }
  return strings;
}

// ------------------------------------------------------------------ worksheets

/** 'AB12' → 28; 0 when the reference does not start with column letters. */
function columnOf(ref: string): number {
  let n = 0;
  for (let i = 0; i < ref.length; i++) {
    const ch = ref.charCodeAt(i) & ~32; // upper case
    if (ch < 65 || ch > 90) break;
    n = n * 26 + (ch - 64);
  }
  return n;
}

interface CellTags {
  p: string;
  c: string;
  cClose: string;
  v: string;
  vClose: string;
  f: string;
  is: string;
}

function tagsFor(p: string): CellTags {
  return { p, c: `<${p}c`, cClose: `</${p}c>`, v: `<${p}v`, vClose: `</${p}v>`, f: `<${p}f`, is: `<${p}is` };
}

/** A cell's value from its type attribute and the XML between `<c …>` and `</c>`. */
function cellValue(xml: string, from: number, to: number, type: string | null, tags: CellTags, shared: string[]): unknown {
  if (type === 'inlineStr') {
    const is = findOpen(xml, tags.is, from, to);
    if (is !== -1) return runsText(xml, is, to, tags.p);
  }
  const v = findOpen(xml, tags.v, from, to);
  if (v === -1) return null; // a formula without a cached result, or a styled empty cell
  const vTagEnd = xml.indexOf('>', v);
  if (xml.charCodeAt(vTagEnd - 1) === 47) return null;
  const vEnd = xml.indexOf(tags.vClose, vTagEnd);
  if (vEnd === -1 || vEnd > to) return null;
  const raw = xml.slice(vTagEnd + 1, vEnd);
  switch (type) {
    case 's': {
      const text = shared[Number(raw)];
      return text === undefined ? null : text;
    }
    case 'str':
    case 'inlineStr':
    case 'd':
      return xmlText(raw);
    case 'b':
      return raw.trim() !== '0' && raw.trim() !== 'false';
    case 'e':
      return null; // #N/A, #REF!: nothing a person can read as a value
    default: {
      const n = Number(raw);
      return raw.trim() === '' || !Number.isFinite(n) ? null : n;
    }
  }
}

/** The cells of one `<row>` (its XML between the open and the close tag). */
function rowValues(xml: string, from: number, to: number, tags: CellTags, shared: string[]): unknown[] {
  const values: unknown[] = [];
  let column = 0;
  let at = from;
  for (;;) {
    const c = findOpen(xml, tags.c, at, to);
    if (c === -1) break;
    const tagEnd = xml.indexOf('>', c);
    if (tagEnd === -1 || tagEnd >= to) break;
    const selfClosing = xml.charCodeAt(tagEnd - 1) === 47;
    const ref = attribute(xml, c, tagEnd, 'r');
    column = ref ? columnOf(ref) || column + 1 : column + 1;
    if (column > MAX_EXCEL_COLUMN) throw new ZipRefused('IMPORT_TOO_MANY_COLUMNS', `Cell ${ref ?? ''} lies beyond Excel's last column`);
    if (selfClosing) {
      at = tagEnd + 1;
      continue;
    }
    const end = xml.indexOf(tags.cClose, tagEnd);
    if (end === -1 || end > to) throw notXlsx('a cell is not closed');
    const value = cellValue(xml, tagEnd + 1, end, attribute(xml, c, tagEnd, 't'), tags, shared);
    if (value !== null) values[column] = value;
    at = end + tags.cClose.length;
  }
  return values;
}

/** The rows of a worksheet part, in sheet order. */
async function* sheetRows(zip: Zip, part: string, shared: string[]): AsyncGenerator<SheetRow> {
  let xml = '';
  let tags: CellTags | null = null;
  let rowOpen = '';
  let rowClose = '';
  let dataEnd = '';
  let inData = false;
  let rowNumber = 0;
  for await (const chunk of partText(zip, zip.entries.get(part) as ZipEntry)) {
    xml = xml ? xml + chunk : chunk;
    let at = 0;
    if (!tags) {
      if (!/<([A-Za-z_][\w.-]*:)?worksheet[\s>/]/.test(xml)) {
        if (xml.length > MAX_ROW_CHARS) throw notXlsx(`no worksheet in ${part}`);
        continue;
      }
      const p = prefixOf(xml, 'worksheet');
      tags = tagsFor(p);
      rowOpen = `<${p}row`;
      rowClose = `</${p}row>`;
      dataEnd = `</${p}sheetData>`;
    }
    if (!inData) {
      const data = findOpen(xml, `<${tags.p}sheetData`, 0);
      if (data === -1) {
        // Keep only what may be the start of <sheetData split by the chunk boundary.
        xml = xml.slice(Math.max(0, xml.length - 64));
        continue;
      }
      const tagEnd = xml.indexOf('>', data);
      if (tagEnd === -1) {
        xml = xml.slice(data);
        continue;
      }
      if (xml.charCodeAt(tagEnd - 1) === 47) return; // <sheetData/>: no rows
      inData = true;
      at = tagEnd + 1;
    }
    // Rows hold no </sheetData>: where it is, once per chunk, ends the rows.
    const closing = xml.indexOf(dataEnd, at);
    for (;;) {
      const start = findOpen(xml, rowOpen, at);
      if (closing !== -1 && (start === -1 || closing < start)) return;
      if (start === -1) {
        // Keep the unfinished tail: it may hold the start of the next <row or </sheetData>.
        at = Math.max(at, xml.length - 64);
        break;
      }
      const tagEnd = xml.indexOf('>', start);
      if (tagEnd === -1) {
        at = start;
        break;
      }
      const r = attribute(xml, start, tagEnd, 'r');
      const number = r ? Number(r) : rowNumber + 1;
      if (!Number.isSafeInteger(number) || number < 1) throw notXlsx(`a row of ${part} has no usable number`);
      if (xml.charCodeAt(tagEnd - 1) === 47) {
        rowNumber = number;
        at = tagEnd + 1;
        yield { number, values: [] };
        continue;
      }
      const end = xml.indexOf(rowClose, tagEnd);
      if (end === -1) {
        if (xml.length - start > MAX_ROW_CHARS) throw notXlsx(`row ${number} of ${part} is not closed`);
        at = start;
        break;
      }
      rowNumber = number;
      at = end + rowClose.length;
      yield { number, values: rowValues(xml, tagEnd + 1, end, tags, shared) };
    }
    xml = xml.slice(at);
  }
}

export function openWorkbook(file: string, options: { maxEntries?: number } = {}): OpenWorkbook {
  const zip: Zip = { file, entries: new Map(), open: new Set() };
  return {
    async *sheets() {
      const handle = await fsp.open(file, 'r');
      try {
        const { size } = await handle.stat();
        for (const entry of await readCentralDirectory(handle, size, options.maxEntries ?? 2000)) zip.entries.set(entry.name, entry);
      } finally {
        await handle.close();
      }
      const { sheets, sharedStrings } = await workbookParts(zip);
      // Shared strings are read first whatever their place in the zip: the parts are read by offset.
      const shared = sharedStrings ? await readSharedStrings(zip, sharedStrings) : [];
      for (const sheet of sheets) yield { name: sheet.name, rows: sheetRows(zip, sheet.part, shared) };
    },
    close() {
      for (const stream of zip.open) stream.destroy();
      zip.open.clear();
    },
  };
}
