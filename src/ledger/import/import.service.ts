/**
 * Ledger import (issue 6 "Import"; SECURITY.md "Excel in"; STYLE.md 19–20).
 *
 * The file is checked before parsing (zip-guard.ts), read as a stream (ledger-reader.ts), its rows
 * grouped into households by 户编号, each household built over the stored one, validated with the
 * API's rules (in a worker thread for a large file: validation.pool.ts) and written whole or not
 * at all: new households in one bulk insert per batch (bulk-writer.ts), stored ones through the
 * registry's `upsertHouseholdByCode`. A bad row never aborts the batch: it becomes
 * `{ sheet, row, column, code, message }` and its household's rows go to the error workbook.
 *
 * Decisions:
 * - Idempotence: a job is identified by the file's sha256 + layout + dry run + user. The same
 *   upload again returns the same job and writes nothing; a changed file is a new job, and its
 *   unchanged households come out `unchanged`.
 * - Crashes: households are written in batches, and after each batch the job records the last
 *   sheet row it committed. A job found `running` that no live process owns is resumed from there
 *   (the batch in flight is re-applied; its already-written households come out `unchanged`).
 * - Rows of one household must be near each other: national exports keep them contiguous. Rows are
 *   grouped while they follow each other; a 户编号 that comes back after other households is
 *   refused on those rows (HOUSEHOLD_ROWS_SPLIT) rather than buffering a county in memory.
 * - Memory: at most two batches are held (one written while the next is read and validated),
 *   plus a set of the file's 户编号 and a map of its persons (for the checks above), about
 *   100 bytes per member row.
 * - The trail: one `import` entry per job (file name and sha256, layout, counts) and one
 *   `household.create` entry per new household naming the job and its rows, without a copy of
 *   the household (bulk-writer.ts says why); updates keep the registry's full before / after.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { config } from '../../config';
import { recordAudit } from '../../audit/audit.service';
import { AppError } from '../../http/errors';
import { isRegionCode, isWithinAny, regionLevel } from '../../regions/region-code';
import { resolveVillage } from '../../regions/region.service';
import { HouseholdModel, toHouseholdJson, type StoredHouseholdDoc } from '../../registry/household.model';
import { upsertHouseholdByCode } from '../../registry/household.service';
import type { Household } from '../../registry/household.types';
import type { Actor } from '../../users/actor';
import { LayoutError, loadLayout, type Layout, type LayoutColumn } from '../layout';
import { ImportErrorRowModel, ImportJobModel } from './import-job.model';
import { buildHousehold, disagreements, fillDown, locate, rowParser, type ParsedRow, type RowError, type RowParser } from './household-builder';
import { HeaderNotFound, readLedger } from './ledger-reader';
import { inspectXlsx, ZipRefused } from './zip-guard';
import { insertNewHouseholds } from './bulk-writer';
import { defaultValidationWorkers, ValidationPool } from './validation.pool';
import type { HeaderMatch } from './header';

export interface ImportLimits {
  maxBytes: number;
  maxRows: number;
  maxColumns: number;
  maxUncompressedBytes: number;
  maxRatio: number;
  maxEntries: number;
}

/** Process-wide overrides of the limits (tests lower them; the CLI may raise them). */
export const importLimitOverrides: Partial<ImportLimits> = {};

export function importLimits(overrides: Partial<ImportLimits> = {}): ImportLimits {
  return {
    maxBytes: config.importMaxBytes,
    maxRows: config.importMaxRows,
    maxColumns: 200,
    // XML inflates 10–20 times; a 50 MB upload of real rows stays well under this.
    maxUncompressedBytes: 2 * 1024 ** 3,
    maxRatio: 200,
    maxEntries: 2000,
    ...importLimitOverrides,
    ...overrides,
  };
}

/** Errors kept in the job document; every failing row is in the error rows. */
const MAX_JOB_ERRORS = 1000;

/**
 * - `batch`: households per batch: one lookup of stored households, one person check, one insert,
 *   then one commit of progress.
 * - `workers`: validation threads (validation.pool.ts). By default a file of more than one batch
 *   gets every core but one, and a file of one batch none: a worker's start-up (0.7 s under tsx)
 *   costs more than validating a few hundred households here. Tests set it to force either way.
 */
export const importTuning: { batch: number; workers: number | null } = { batch: 500, workers: null };

export interface ImportProgress {
  rows: number;
  households: number;
  /** Rows the workbook claims (its <dimension>), when it says. */
  totalRows: number | null;
}

export interface ImportRequest {
  file: string;
  layout: string;
  dryRun: boolean;
  actor: Actor;
  fileName?: string | null;
  /** The file's sha256 when the caller computed it while receiving it. */
  sha256?: string;
  limits?: Partial<ImportLimits>;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportJobView {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  layout: string;
  dryRun: boolean;
  fileName: string | null;
  imported: { households: number; members: number };
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  rows: number;
  errors: RowError[];
  errorCount: number;
  failure: { code: string; message: string } | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** Jobs this process is running now; a `running` job not in here was left by a dead process. */
const active = new Map<string, Promise<ImportJobView>>();

type JobDoc = NonNullable<Awaited<ReturnType<typeof findJob>>>;

async function findJob(filter: { key: string } | { _id: string }) {
  return ImportJobModel.findOne(filter as never).setOptions({ sanitizeFilter: true }).lean();
}

export function viewOf(doc: JobDoc): ImportJobView {
  const counts: Partial<Counters> = doc.counts ?? {};
  return {
    id: String(doc._id),
    status: doc.status as ImportJobView['status'],
    layout: doc.layout,
    dryRun: doc.dryRun,
    fileName: doc.fileName ?? null,
    imported: { households: (counts.created ?? 0) + (counts.updated ?? 0), members: counts.members ?? 0 },
    created: counts.created ?? 0,
    updated: counts.updated ?? 0,
    unchanged: counts.unchanged ?? 0,
    failed: counts.failed ?? 0,
    rows: counts.rows ?? 0,
    errors: (doc.errors ?? []).map((e) => ({ sheet: e.sheet ?? '', row: e.row ?? 0, column: e.column ?? null, code: e.code, message: e.message })),
    errorCount: doc.errorCount ?? 0,
    failure: doc.failure?.code ? { code: doc.failure.code, message: doc.failure.message ?? '' } : null,
    startedAt: doc.startedAt ? new Date(doc.startedAt).toISOString() : null,
    finishedAt: doc.finishedAt ? new Date(doc.finishedAt).toISOString() : null,
  };
}

export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Starts (or finds) the job for this file. `done` settles when the job has finished, at once for
 * a repeat of a finished job. The caller may delete `file` only after `done`.
 */
export async function startImport(request: ImportRequest): Promise<{ job: ImportJobView; done: Promise<ImportJobView> }> {
  let layout: Layout;
  try {
    layout = loadLayout(request.layout);
  } catch (err) {
    if (err instanceof LayoutError) throw new AppError('IMPORT_LAYOUT_UNKNOWN', err.message);
    throw err;
  }
  const sha256 = request.sha256 ?? await sha256File(request.file);
  const { actor } = request;
  const key = `${sha256}:${layout.id}:${request.dryRun ? 'dry' : 'commit'}:${actor.userId}`;
  let doc = await findJob({ key });
  if (doc && active.has(String(doc._id))) {
    return { job: viewOf(doc), done: active.get(String(doc._id)) as Promise<ImportJobView> };
  }
  if (doc && doc.status === 'done') return { job: viewOf(doc), done: Promise.resolve(viewOf(doc)) };
  if (!doc) {
    try {
      const created = await ImportJobModel.create({
        key, sha256, layout: layout.id, dryRun: request.dryRun, fileName: request.fileName ?? null,
        fileSize: fs.statSync(request.file).size, status: 'queued',
        actor: { userId: actor.userId, username: actor.username, role: actor.role, regionCodes: actor.regionCodes },
      });
      doc = created.toObject() as JobDoc;
    } catch (err) {
      // Two uploads of the same file at once: the second finds the first one's job.
      if ((err as { code?: number }).code !== 11000) throw err;
      doc = await findJob({ key });
      if (!doc) throw err;
      const running = active.get(String(doc._id));
      if (running) return { job: viewOf(doc), done: running };
    }
  }
  const id = String((doc as JobDoc)._id);
  // A failed (refused) or interrupted job runs again; an interrupted one resumes after its last batch.
  const done = runJob(id, layout, request).finally(() => active.delete(id));
  active.set(id, done);
  return { job: viewOf(doc as JobDoc), done };
}

async function loadJob(id: string): Promise<JobDoc> {
  const doc = await findJob({ _id: id });
  if (!doc) throw new AppError('IMPORT_NOT_FOUND');
  return doc;
}

/** A job as its owner (or an admin) sees it; anyone else gets 404. */
export async function getImportJob(actor: Actor, id: string): Promise<ImportJobView> {
  if (!/^[0-9a-f]{24}$/.test(id)) throw new AppError('IMPORT_NOT_FOUND');
  const doc = await loadJob(id);
  if (actor.role !== 'admin' && doc.actor?.userId !== actor.userId) throw new AppError('IMPORT_NOT_FOUND');
  return viewOf(doc);
}

/** The header and failing rows of a job, for errors.xlsx, in sheet order. */
export async function importErrorRows(actor: Actor, id: string): Promise<{ job: ImportJobView; sheet: string; headerTexts: string[]; rows: AsyncIterable<{ row: number; texts: string[]; reason: string }> }> {
  const job = await getImportJob(actor, id);
  const doc = await loadJob(id);
  const cursor = ImportErrorRowModel.find({ jobId: id } as never).setOptions({ sanitizeFilter: true }).sort({ row: 1 }).lean().cursor();
  async function* rows() {
    for await (const r of cursor) yield { row: r.row, texts: r.texts ?? [], reason: r.reason };
  }
  return { job, sheet: doc.header?.sheet ?? 'Sheet1', headerTexts: doc.header?.texts ?? [], rows: rows() };
}

interface Counters {
  rows: number;
  households: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  members: number;
}

async function runJob(id: string, layout: Layout, request: ImportRequest): Promise<ImportJobView> {
  const limits = importLimits(request.limits);
  const { actor } = request;
  const previous = await loadJob(id);
  const resumeAfter = previous.status === 'running' ? previous.progress?.row ?? 0 : 0;
  const counters: Counters = resumeAfter > 0
    ? { rows: 0, households: 0, created: 0, updated: 0, unchanged: 0, failed: 0, members: 0, ...(previous.counts as Partial<Counters>) }
    : { rows: 0, households: 0, created: 0, updated: 0, unchanged: 0, failed: 0, members: 0 };
  const errors: RowError[] = resumeAfter > 0 ? viewOf(previous).errors.filter((e) => e.row <= resumeAfter) : [];
  let errorCount = resumeAfter > 0 ? errors.length : 0;
  await ImportErrorRowModel.deleteMany({ jobId: id, row: { $gt: resumeAfter } } as never).setOptions({ sanitizeFilter: false });
  await ImportJobModel.updateOne({ _id: id }, {
    $set: { status: 'running', startedAt: new Date(), finishedAt: null, failure: { code: null, message: null }, counts: counters, errors, errorCount, progress: { row: resumeAfter } },
  });

  let totalRows: number | null = null;
  const seenCodes = new Set<string>();
  const seenPersons = new Map<string, string>();
  // Started by the first flush (below); an object, so the closures' assignment is seen in `finally`.
  const validation: { pool: ValidationPool | null } = { pool: null };
  // The batch being written: the next one is read, built and validated meanwhile (below).
  let committing: Promise<void> = Promise.resolve();

  const record = (rowErrors: RowError[]) => {
    errorCount += rowErrors.length;
    for (const e of rowErrors) if (errors.length < MAX_JOB_ERRORS) errors.push(e);
  };

  try {
    const claim = await inspectXlsx(request.file, limits);
    totalRows = claim.sheets.reduce<number | null>((max, s) => (s.rows !== null && (max === null || s.rows > max) ? s.rows : max), null);

    let parser: RowParser | null = null;
    let header: HeaderMatch | null = null;
    let current: ParsedRow[] = [];
    let batch: ParsedRow[][] = [];
    let lastCode: string | null = null;

    const commit = async (households: ParsedRow[][], prepared: Prepared[]) => {
      const ctx: BatchContext = { layout, header: header as HeaderMatch, actor, dryRun: request.dryRun, seenPersons, importId: id };
      const outcome = await commitBatch(prepared, ctx);
      for (const o of outcome) {
        counters.households++;
        if (o.outcome === 'failed') {
          counters.failed++;
          record(o.errors);
        } else {
          counters[o.outcome]++;
          if (o.outcome !== 'unchanged') counters.members += o.members;
        }
      }
      // Rows are counted when their batch is committed, so a resumed job counts none twice.
      for (const rows of households) counters.rows += rows.length;
      const failedRows = outcome.flatMap((o) => o.failedRows);
      if (failedRows.length) await ImportErrorRowModel.insertMany(failedRows.map((r) => ({ jobId: id, ...r })));
      const lastRow = households[households.length - 1].at(-1)?.row ?? 0;
      await ImportJobModel.updateOne({ _id: id }, { $set: { counts: counters, errors, errorCount, progress: { row: lastRow } } });
      request.onProgress?.({ rows: counters.rows, households: counters.households, totalRows });
    };

    /**
     * Two batches in flight at most: batch N is built and validated (in a worker for a large
     * file) while batch N-1 is written; batch N is written only after N-1 is committed, so
     * progress, the person checks and the order of errors stay those of the file.
     */
    const flushBatch = async () => {
      if (batch.length === 0) return;
      const households = batch;
      batch = [];
      // The first flush tells the file's size: a full batch means more are coming.
      validation.pool ??= new ValidationPool(importTuning.workers ?? (households.length >= importTuning.batch ? defaultValidationWorkers() : 0));
      const prepared = prepareBatch(households, { layout, header: header as HeaderMatch, actor, pool: validation.pool });
      prepared.catch(() => undefined); // observed through `committing`
      await committing;
      committing = prepared.then((p) => commit(households, p));
      committing.catch(() => undefined); // observed at the next flush or the end
    };

    const closeHousehold = async () => {
      if (current.length === 0) return;
      batch.push(current);
      current = [];
      if (batch.length >= importTuning.batch) await flushBatch();
    };

    for await (const event of readLedger(request.file, layout, limits)) {
      if (event.kind === 'header') {
        header = event.header;
        parser = rowParser(layout, header);
        await ImportJobModel.updateOne({ _id: id }, { $set: { header: { sheet: event.sheet, texts: header.headerTexts.map((t) => t ?? ''), lastRow: header.lastHeaderRow } } });
        continue;
      }
      const row = (parser as RowParser).parse(event.sheet, event.row, event.cells);
      if (row.blank) continue;
      if (row.row <= resumeAfter) {
        if (row.code) seenCodes.add(detached(row.code));
        continue;
      }
      const previousRow = current.at(-1);
      // A row without 户编号 continues the household above it (a merged 户编号 cell).
      if (previousRow && (row.code === null || row.code === previousRow.code)) fillDown(row, previousRow);
      if (row.code !== lastCode) {
        await closeHousehold();
        if (row.code !== null && seenCodes.has(row.code)) {
          row.errors.unshift({ sheet: row.sheet, row: row.row, column: (parser as RowParser).codeColumn.label, code: 'HOUSEHOLD_ROWS_SPLIT', message: `Rows of household ${row.code} appear again after other households; keep a household's rows together (sort by 户编号)` });
        }
        if (row.code !== null) seenCodes.add(detached(row.code));
        lastCode = row.code;
      }
      current.push(row);
    }
    await closeHousehold();
    await flushBatch();
    await committing;
  } catch (err) {
    // A batch still being written finishes (or fails) before the job's state is decided.
    await committing.catch(() => undefined);
    const known = err instanceof ZipRefused ? { code: err.code, message: err.message }
      : err instanceof HeaderNotFound ? { code: 'IMPORT_HEADER_NOT_FOUND', message: err.message }
      : isUnreadable(err) ? { code: 'IMPORT_NOT_XLSX', message: 'The file is not a readable .xlsx workbook' }
      : null;
    if (!known) {
      // Left `running` with its progress: a re-run resumes after the last committed batch.
      throw err;
    }
    await ImportJobModel.updateOne({ _id: id }, { $set: { status: 'failed', failure: known, counts: counters, errors, errorCount, finishedAt: new Date() } });
    await recordAudit(actor, { action: 'import', entity: 'import', entityId: id, regionCode: importRegion(actor), details: { layout: layout.id, dryRun: request.dryRun, households: counters.households, errors: errorCount, refused: known.code } });
    return viewOf(await loadJob(id));
  } finally {
    await validation.pool?.close();
  }
  await ImportJobModel.updateOne({ _id: id }, { $set: { status: 'done', counts: counters, errors, errorCount, finishedAt: new Date() } });
  await recordAudit(actor, {
    action: 'import', entity: 'import', entityId: id, regionCode: importRegion(actor),
    details: {
      layout: layout.id, dryRun: request.dryRun, file: { name: previous.fileName ?? null, sha256: previous.sha256 },
      households: counters.households, created: counters.created, updated: counters.updated, unchanged: counters.unchanged, failed: counters.failed, errors: errorCount,
    },
  });
  return viewOf(await loadJob(id));
}

/**
 * The region an import is logged under, so that auditors of that region see it in GET /audit:
 * the importer's own region when it has one; a user of several regions (or the command line's
 * whole-country actor) leaves it to admins.
 */
function importRegion(actor: Actor): string | null {
  return actor.regionCodes.length === 1 && !/^0{12}$/.test(actor.regionCodes[0]) ? actor.regionCodes[0] : null;
}

function isUnreadable(err: unknown): boolean {
  const message = String((err as Error)?.message ?? '');
  // unzipper / saxes errors on a corrupt or non-xlsx file.
  return /invalid signature|unexpected end|FILE_ENDED|Unexpected|Invalid|zlib|incorrect header|Text data outside/i.test(message) && !(err instanceof AppError);
}

interface BatchContext {
  layout: Layout;
  header: HeaderMatch;
  actor: Actor;
  dryRun: boolean;
  /** personId → 户编号 of the household that first listed the person in this file. */
  seenPersons: Map<string, string>;
  importId: string;
}

/** A household's rows after building and validation: refused when `errors` is not empty. */
interface Prepared {
  rows: ParsedRow[];
  /** The household as the API's rules return it, when they pass. */
  value: Household | null;
  existing: Household | null;
  errors: RowError[];
}

interface HouseholdOutcome {
  outcome: 'created' | 'updated' | 'unchanged' | 'failed';
  members: number;
  errors: RowError[];
  failedRows: { sheet: string; row: number; texts: string[]; reason: string }[];
}

function failedOutcome(rows: ParsedRow[], errors: RowError[]): HouseholdOutcome {
  const first = errors[0];
  return {
    outcome: 'failed', members: 0, errors,
    failedRows: rows.map((r) => {
      const own = errors.filter((e) => e.row === r.row);
      const reason = own.length
        ? own.map((e) => `${e.column ? `${e.column}：` : ''}${e.message}`).join('；')
        : `同户其他行有错误（第${first.row}行${first.column ? ` ${first.column}` : ''}），本户未导入`;
      return { sheet: r.sheet, row: r.row, texts: r.texts.map((t) => t ?? ''), reason };
    }),
  };
}

async function resolvePlace(rows: ParsedRow[], columns: LayoutColumn[]): Promise<{ code: string } | { error: RowError }> {
  const first = rows[0];
  const col = (field: string) => columns.find((c) => c.field === field);
  const text = (field: string) => {
    const c = col(field);
    const v = c ? first.values.get(c) : undefined;
    return typeof v === 'string' && v !== '' ? v : null;
  };
  const given = text('regionCode');
  if (given) {
    if (!isRegionCode(given) || regionLevel(given) !== 'village') {
      return { error: { sheet: first.sheet, row: first.row, column: col('regionCode')?.label ?? null, code: 'UNKNOWN_VILLAGE', message: `${given} is not a 12-digit village code` } };
    }
    return { code: given };
  }
  const village = text('village');
  const label = col('village')?.label ?? '行政村';
  if (!village) return { error: { sheet: first.sheet, row: first.row, column: label, code: 'REQUIRED', message: `${label} is empty` } };
  const found = await resolveVillage({ county: text('county'), township: text('township'), village });
  if ('code' in found) return { code: found.code };
  const place = [text('county'), text('township'), village].filter(Boolean).join(' ');
  return {
    error: found.error === 'ambiguous'
      ? { sheet: first.sheet, row: first.row, column: label, code: 'AMBIGUOUS_VILLAGE', message: `${place} names more than one village; give 县 and 乡(镇) too` }
      : { sheet: first.sheet, row: first.row, column: label, code: 'UNKNOWN_VILLAGE', message: `${place} is not a village of the loaded regions` },
  };
}

function requiredErrors(rows: ParsedRow[], columns: LayoutColumn[]): RowError[] {
  const errors: RowError[] = [];
  for (const column of columns) {
    if (!column.required || ['county', 'township', 'village'].includes(column.field)) continue;
    for (const row of column.householdLevel ? rows.slice(0, 1) : rows) {
      if (!row.values.has(column) && !row.errors.some((e) => e.column === column.label)) {
        errors.push({ sheet: row.sheet, row: row.row, column: column.label, code: 'REQUIRED', message: `${column.label} is empty` });
      }
    }
  }
  return errors;
}

/** The stored households of `codes` (null for a code not stored yet), as the API shows them. */
async function loadExisting(codes: string[]): Promise<Map<string, Household | null>> {
  const existing = new Map<string, Household | null>();
  if (codes.length === 0) return existing;
  const docs = await (HouseholdModel as unknown as { find(f: unknown): { setOptions(o: unknown): { lean(): Promise<unknown[]> } } })
    .find({ code: { $in: codes } }).setOptions({ sanitizeFilter: false }).lean();
  for (const c of codes) existing.set(c, null);
  for (const d of docs as StoredHouseholdDoc[]) existing.set(d.code, toHouseholdJson(d));
  return existing;
}

/**
 * Builds each household of the batch over its stored version and validates it with the API's
 * rules. Reads the database (stored households, places) but writes nothing, so it may run while
 * the previous batch is being written.
 */
async function prepareBatch(batch: ParsedRow[][], ctx: { layout: Layout; header: HeaderMatch; actor: Actor; pool: ValidationPool }): Promise<Prepared[]> {
  const columns = [...ctx.header.columns.values()];
  const codes = batch.map((rows) => rows[0].code).filter((c): c is string => c !== null);
  const stored = await loadExisting(codes);
  const prepared: Prepared[] = [];
  const built: { index: number; household: Household }[] = [];
  for (const rows of batch) {
    const errors: RowError[] = [...rows.flatMap((r) => r.errors), ...requiredErrors(rows, columns), ...disagreements(rows)];
    const entry: Prepared = { rows, value: null, existing: null, errors };
    prepared.push(entry);
    if (rows[0].code === null) continue;
    const place = await resolvePlace(rows, columns);
    if ('error' in place) {
      errors.push(place.error);
      continue;
    }
    if (!isWithinAny(place.code, ctx.actor.regionCodes)) {
      errors.push({ sheet: rows[0].sheet, row: rows[0].row, column: columns.find((c) => c.field === 'village' || c.field === 'regionCode')?.label ?? null, code: 'REGION_OUT_OF_SCOPE', message: 'This village is outside the regions you may import into' });
    }
    if (errors.length > 0) continue;
    entry.existing = stored.get(rows[0].code) ?? null;
    const result = buildHousehold({ rows, columns, regionCode: place.code, existing: entry.existing });
    errors.push(...result.errors);
    built.push({ index: prepared.length - 1, household: result.household });
  }
  const validations = await ctx.pool.validate(built.map((b) => b.household));
  built.forEach(({ index }, k) => {
    const entry = prepared[index];
    const { value, errors: invalid } = validations[k];
    for (const e of invalid) {
      const at = locate(e.path, entry.rows, columns);
      entry.errors.push({ sheet: at.row.sheet, row: at.row.row, column: at.column, code: e.code === 'any.required' || e.code === 'string.empty' ? 'REQUIRED' : 'INVALID_VALUE', message: e.message });
    }
    // Kept even beside other errors: its persons are still checked against the file's others.
    entry.value = value ?? null;
  });
  return prepared;
}

/**
 * Writes a prepared batch, in file order: the same person in two households of the file is
 * refused on the later one; new households go in one bulk insert, stored ones through the
 * registry's upsert (which keeps member ids and answers `unchanged`).
 */
async function commitBatch(prepared: Prepared[], ctx: BatchContext): Promise<HouseholdOutcome[]> {
  const columns = [...ctx.header.columns.values()];
  const idColumn = columns.find((c) => c.field === 'members[].idNumber')?.label ?? null;
  const outcomes: HouseholdOutcome[] = [];
  const ready: Prepared[] = [];
  for (const entry of prepared) {
    const { rows, value, errors } = entry;
    if (value) {
      value.members.forEach((m, i) => {
        const other = ctx.seenPersons.get(m.idNumber.slice(0, 18));
        if (other !== undefined && other !== value.code) {
          const row = rows[i] ?? rows[0];
          errors.push({ sheet: row.sheet, row: row.row, column: idColumn, code: 'PERSON_IN_OTHER_HOUSEHOLD', message: `This person is already listed in household ${other} of this file` });
        }
      });
    }
    if (errors.length > 0 || !value) {
      outcomes.push(failedOutcome(rows, errors));
      continue;
    }
    for (const m of value.members) ctx.seenPersons.set(detached(m.idNumber.slice(0, 18)), detached(value.code));
    ready.push(entry);
  }

  const fresh = ready.filter((r) => r.existing === null);
  const bulk = await insertNewHouseholds(ctx.actor, fresh.map((r) => ({
    household: r.value as Household, source: { sheet: r.rows[0].sheet, rows: [r.rows[0].row, (r.rows.at(-1) as ParsedRow).row] },
  })), { dryRun: ctx.dryRun, importId: ctx.importId });
  const oneByOne = ready.filter((r) => r.existing !== null);
  fresh.forEach((r, i) => {
    if (bulk.inserted.has(i)) outcomes.push({ outcome: 'created', members: (r.value as Household).members.length, errors: [], failedRows: [] });
    else if (bulk.refused.get(i) === 'PERSON_IN_OTHER_HOUSEHOLD') {
      outcomes.push(failedOutcome(r.rows, [{ sheet: r.rows[0].sheet, row: r.rows[0].row, column: idColumn, code: 'PERSON_IN_OTHER_HOUSEHOLD', message: 'A person of this household is already registered in another household' }]));
    } else oneByOne.push(r);
  });
  for (const { rows, value } of oneByOne) {
    const household = value as Household;
    try {
      const { outcome } = await upsertHouseholdByCode(ctx.actor, household, { dryRun: ctx.dryRun });
      outcomes.push({ outcome, members: household.members.length, errors: [], failedRows: [] });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      const details = Array.isArray(err.details) ? (err.details as { path?: string; message?: string }[]) : [];
      const located = details.length && details[0].path !== undefined ? locate(String(details[0].path), rows, columns) : { row: rows[0], column: null };
      outcomes.push(failedOutcome(rows, [{ sheet: located.row.sheet, row: located.row.row, column: located.column, code: err.code, message: err.message }]));
    }
  }
  return outcomes;
}

/**
 * A copy of `text` that shares no memory with the string it came from. V8 keeps a substring as a
 * view of its parent, and a cell's text may be a substring of a whole chunk of sheet XML: the maps
 * that live for the whole import (codes and persons seen) would then keep every chunk of the
 * file alive (with a reader that sliced cells from chunks this held ~1.5 GB at county size).
 */
function detached(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}
