/**
 * Looks at an .xlsx before any XML is parsed (SECURITY.md "Excel in"): the zip's central directory
 * says how big each part claims to be once inflated, and the first bytes of each worksheet say
 * how many rows and columns it claims (`<dimension ref="A1:XFD1048576"/>`). A zip bomb or a sheet
 * that claims a million rows is refused here, in milliseconds, before exceljs inflates anything.
 *
 * What this cannot see: a zip that lies in its central directory. The reader's row and column
 * caps still stop the loop then (import.service.ts), so the lie costs time, not the process.
 */
import fs from 'node:fs/promises';
import zlib from 'node:zlib';

export interface ZipLimits {
  maxUncompressedBytes: number;
  /** Inflated / compressed ratio past which a large part is treated as a bomb. */
  maxRatio: number;
  maxRows: number;
  maxColumns: number;
  maxEntries: number;
}

export type ZipProblem = 'IMPORT_NOT_XLSX' | 'IMPORT_ZIP_BOMB' | 'IMPORT_TOO_MANY_ROWS' | 'IMPORT_TOO_MANY_COLUMNS';

export class ZipRefused extends Error {
  constructor(readonly code: ZipProblem, message: string) {
    super(message);
  }
}

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export interface SheetClaim {
  entry: string;
  rows: number | null;
  columns: number | null;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

async function readAt(handle: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/** Reads the central directory; throws ZipRefused('IMPORT_NOT_XLSX') when it is not a zip. */
export async function readCentralDirectory(handle: fs.FileHandle, size: number, maxEntries: number): Promise<ZipEntry[]> {
  const tailLength = Math.min(size, 22 + 65535);
  const tail = await readAt(handle, size - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipRefused('IMPORT_NOT_XLSX', 'The file is not an .xlsx workbook (no zip directory)');
  const count = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // ZIP64 is only needed past 4 GB or 65,535 parts: far beyond any upload we accept.
    throw new ZipRefused('IMPORT_ZIP_BOMB', 'The workbook uses ZIP64, which no ledger of accepted size needs');
  }
  if (count > maxEntries) throw new ZipRefused('IMPORT_ZIP_BOMB', `The workbook has ${count} parts; at most ${maxEntries} are accepted`);
  if (cdOffset + cdSize > size) throw new ZipRefused('IMPORT_NOT_XLSX', 'The file is not a readable .xlsx workbook (broken zip directory)');
  const cd = await readAt(handle, cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw new ZipRefused('IMPORT_NOT_XLSX', 'The file is not a readable .xlsx workbook (broken zip directory)');
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    const entry: ZipEntry = {
      method: cd.readUInt16LE(p + 10),
      compressedSize: cd.readUInt32LE(p + 20),
      uncompressedSize: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
      name: cd.toString('utf8', p + 46, p + 46 + nameLength),
    };
    if (entry.compressedSize === 0xffffffff || entry.uncompressedSize === 0xffffffff) {
      throw new ZipRefused('IMPORT_ZIP_BOMB', 'The workbook uses ZIP64, which no ledger of accepted size needs');
    }
    entries.push(entry);
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The first `limit` inflated bytes of an entry (enough to see a worksheet's <dimension>). */
async function entryHead(handle: fs.FileHandle, entry: ZipEntry, limit: number): Promise<string> {
  const local = await readAt(handle, entry.localHeaderOffset, 30);
  if (local.length < 30 || local.readUInt32LE(0) !== LOCAL) throw new ZipRefused('IMPORT_NOT_XLSX', 'The file is not a readable .xlsx workbook (broken zip entry)');
  const dataStart = entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  const raw = await readAt(handle, dataStart, Math.min(entry.compressedSize, limit));
  if (entry.method === 0) return raw.toString('utf8');
  if (entry.method !== 8) throw new ZipRefused('IMPORT_NOT_XLSX', 'The workbook uses a compression method Excel does not write');
  try {
    return zlib.inflateRawSync(raw, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: limit * 64 }).subarray(0, limit).toString('utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return '';
    throw new ZipRefused('IMPORT_NOT_XLSX', 'The file is not a readable .xlsx workbook (corrupt worksheet)');
  }
}

/** Column letters → 1-based number (A → 1, XFD → 16384). */
export function columnNumber(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

/** Reads `<dimension ref="A1:AB350118"/>` from the start of a worksheet's XML. */
export function parseDimension(xmlHead: string): { rows: number; columns: number } | null {
  const match = /<(?:\w+:)?dimension\s+ref="([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?"/i.exec(xmlHead);
  if (!match) return null;
  const lastCol = match[3] ?? match[1];
  const lastRow = match[4] ?? match[2];
  if (!lastCol || !lastRow) return null;
  return { rows: Number(lastRow), columns: columnNumber(lastCol) };
}

/**
 * Refuses the file unless it is a plausible .xlsx within the limits. `headerAllowance` rows above
 * the data (title, 填报单位, two header rows) are not counted against `maxRows`.
 */
export async function inspectXlsx(file: string, limits: ZipLimits, headerAllowance = 20): Promise<{ entries: ZipEntry[]; sheets: SheetClaim[] }> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const entries = await readCentralDirectory(handle, size, limits.maxEntries);
    if (!entries.some((e) => e.name === 'xl/workbook.xml')) {
      throw new ZipRefused('IMPORT_NOT_XLSX', 'The file is a zip but not an .xlsx workbook (no xl/workbook.xml)');
    }
    let total = 0;
    for (const e of entries) {
      total += e.uncompressedSize;
      const ratio = e.uncompressedSize / Math.max(1, e.compressedSize);
      if (e.uncompressedSize > 10 * 1024 * 1024 && ratio > limits.maxRatio) {
        throw new ZipRefused('IMPORT_ZIP_BOMB', `Part ${e.name} inflates ${Math.round(ratio)} times (${e.uncompressedSize} bytes); refused as a zip bomb`);
      }
    }
    if (total > limits.maxUncompressedBytes) {
      throw new ZipRefused('IMPORT_ZIP_BOMB', `The workbook inflates to ${total} bytes; at most ${limits.maxUncompressedBytes} are accepted`);
    }
    const sheets: SheetClaim[] = [];
    for (const e of entries.filter((x) => /^xl\/worksheets\/sheet\d+\.xml$/.test(x.name))) {
      const dimension = parseDimension(await entryHead(handle, e, 4096));
      sheets.push({ entry: e.name, rows: dimension?.rows ?? null, columns: dimension?.columns ?? null });
      if (dimension && dimension.rows > limits.maxRows + headerAllowance) {
        throw new ZipRefused('IMPORT_TOO_MANY_ROWS', `A sheet claims ${dimension.rows} rows; at most ${limits.maxRows} data rows are accepted`);
      }
      if (dimension && dimension.columns > limits.maxColumns) {
        throw new ZipRefused('IMPORT_TOO_MANY_COLUMNS', `A sheet claims ${dimension.columns} columns; at most ${limits.maxColumns} are accepted`);
      }
    }
    return { entries, sheets };
  } finally {
    await handle.close();
  }
}
