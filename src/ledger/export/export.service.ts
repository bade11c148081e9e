/**
 * County ledger exports (issue 6 "Export"; DESIGN.md "HTTP API"; SECURITY.md "Excel out").
 *
 * Households stream from the registry's cursor, sorted by code, one at a time: each is evaluated
 * on the as-of date (for the 汇总 sheet and the category filter), turned into rows and written,
 * then dropped. Nothing about a region is held but the summary counts and the open sheet that
 * exceljs buffers, so memory does not grow with the county beyond that (PERF-NOTES.md).
 *
 * Every export is scoped to the caller's region (a region outside it does not exist: 404),
 * masked unless the caller may see full ID numbers (`id:view`), and logged with its filter and
 * row count once the output is finished, or abandoned (SECURITY.md "Excel out", "Access").
 */
import type { Writable } from 'node:stream';
import { recordAudit } from '../../audit/audit.service';
import { AppError } from '../../http/errors';
import { isWithin, isWithinAny, parentRegion, regionLevel } from '../../regions/region-code';
import type { Household } from '../../registry/household.types';
import { householdStatus, labelOf, supportCategory, type HouseholdStatus, type SupportCategory } from '../../registry/vocabulary';
import type { Actor } from '../../users/actor';
import { can } from '../../users/permissions';
import { chineseDate } from '../cell';
import { loadLayout } from '../layout';
import { categoryLedger, categoryReason, countedMembers } from './category.columns';
import { CsvWriter, csvHeader } from './csv.writer';
import { householdsOnlyCategories, summaryBuilderFor, type RunSummary } from './eligibility.port';
import { forEachCounted, forEachEvaluated } from './evaluated-households';
import { LedgerWorkbookWriter } from './ledger-workbook.writer';
import { loadPlaceNames, type Places } from './place-names';
import { compileColumns, householdRows, membersHeadFirst, type CompiledColumn, type RowContext } from './row.mapper';

export const DEFAULT_LAYOUT = 'national-member-detail';

export interface LedgerFilter {
  /** 12-digit code of any level; defaults to the caller's (first) region. */
  regionCode?: string;
  layout?: string;
  status?: HouseholdStatus;
  category?: SupportCategory;
  /** `YYYY-MM-DD`; defaults to today. */
  asOf?: string;
}

export interface ExportOptions {
  /** Aborted when the client goes away: the cursor stops and nothing more is written. */
  signal?: AbortSignal;
  /** Rows per ledger sheet before the next sheet starts (tests make it small). */
  maxRowsPerSheet?: number;
  /** Today, for the default as-of date and the 填报日期 (tests pin it). */
  today?: string;
  /** Worker threads evaluating households past the first few hundred (default 1; 0: none). */
  workers?: number;
}

export interface ExportOutcome {
  households: number;
  rows: number;
  sheets: number;
  completed: boolean;
  /** The 汇总 figures (as an eligibility run over the same households would give them); null for a CSV, which has no 汇总. */
  summary: RunSummary | null;
}

export type ExportFormat = 'xlsx' | 'csv';

/**
 * The region an export covers: the one asked for, inside the caller's scope, or 404. Without
 * one, the caller's region; for a caller with several (two villages), the division above them
 * all, which names the ledger, while the cursor still keeps to the caller's own subtrees.
 */
export function exportRegion(actor: Actor, regionCode?: string): string {
  if (regionCode === undefined) {
    if (actor.regionCodes.length === 0) throw new AppError('REGION_NOT_FOUND');
    let common: string | null = actor.regionCodes[0];
    while (common && !actor.regionCodes.every((c) => isWithin(c, common as string))) common = parentRegion(common);
    return common ?? '000000000000';
  }
  // Outside the caller's subtrees a region does not exist for them (SECURITY.md "Access").
  if (!isWithinAny(regionCode, actor.regionCodes)) throw new AppError('REGION_NOT_FOUND');
  return regionCode;
}

/** Today where the ledgers are kept (China Standard Time, UTC+8, no daylight saving). */
export function todayInChina(now: Date = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

interface Prepared {
  region: string;
  asOf: string;
  today: string;
  places: Places;
  ctx: RowContext;
}

async function prepare(actor: Actor, regionCode: string | undefined, asOf: string | undefined, options: ExportOptions): Promise<Prepared> {
  const region = exportRegion(actor, regionCode);
  const today = options.today ?? todayInChina();
  const places = await loadPlaceNames(region);
  const ctx: RowContext = { reveal: can(actor, 'id:view-bulk'), places: (code) => places.of(code) };
  return { region, asOf: asOf ?? today, today, places, ctx };
}

/** 「××县2024年建档立卡贫困户台账」: the county's name, or the region's when it is above a county. */
export function ledgerTitle(places: Places, region: string, year: string, subject = '建档立卡贫困户台账'): string {
  const level = regionLevel(region);
  const head = ['country', 'province', 'city'].includes(level) ? places.nameOf(region) : places.countyName(region);
  return `${head}${year}年${subject}`;
}

function describeFilter(filter: Record<string, unknown>): string {
  const parts: string[] = [];
  if (filter.status) parts.push(`脱贫状态：${labelOf(householdStatus, filter.status as HouseholdStatus)}`);
  if (filter.category) parts.push(`帮扶类别：${labelOf(supportCategory, filter.category as SupportCategory)}`);
  return parts.join('；');
}

async function audit(actor: Actor, format: string, filter: Record<string, unknown>, outcome: Omit<ExportOutcome, 'summary'>): Promise<void> {
  await recordAudit(actor, {
    action: 'export',
    entity: 'export',
    regionCode: String(filter.regionCode),
    details: { format, filter, rows: outcome.rows, households: outcome.households, completed: outcome.completed },
  });
}

/**
 * The ledger of a region as xlsx or CSV onto `out`. The caller has checked the `export`
 * permission; scope, masking and the audit entry are this function's.
 */
export async function exportLedger(actor: Actor, filter: LedgerFilter, format: ExportFormat, out: Writable, options: ExportOptions = {}): Promise<ExportOutcome> {
  const layoutId = filter.layout ?? DEFAULT_LAYOUT;
  const layout = loadLayout(layoutId);
  const p = await prepare(actor, filter.regionCode, filter.asOf, options);
  const auditFilter = { regionCode: p.region, layout: layoutId, status: filter.status ?? null, category: filter.category ?? null, asOf: p.asOf };
  const columns = compileColumns(layout.columns);
  const perMember = layout.rowKind === 'member';
  const summary = summaryBuilderFor(p.region, p.asOf);
  const signal = options.signal;

  const xlsx = format === 'xlsx'
    ? new LedgerWorkbookWriter(out, {
      sheetName: layout.sheet,
      title: ledgerTitle(p.places, p.region, p.asOf.slice(0, 4)),
      unit: p.places.unitName(p.region),
      date: chineseDate(p.today),
      headerRows: layout.headerRows,
      columns,
      maxRowsPerSheet: options.maxRowsPerSheet,
    })
    : null;
  const csv = format === 'csv' ? new CsvWriter(out) : null;
  await csv?.header(csvHeader(columns));

  let households = 0;
  let persons = 0;
  let rows = 0;
  // Only the 汇总 sheet and the category filter need the rules: a plain CSV skips them, and
  // neither needs determinations, only the counters and whether a household is in the category.
  const evaluate = xlsx !== null || filter.category !== undefined;
  const source = { actor, region: p.region, status: filter.status, asOf: p.asOf, signal, workers: options.workers, evaluate };
  const writeHousehold = async (household: Household) => {
    persons += household.members.length;
    const values = householdRows(household, columns, p.ctx, rows + 1, perMember);
    if (xlsx) xlsx.addRows(values);
    else await csv?.addRows(values);
    households++;
    rows += values.length;
  };
  const finished = await failSafe(actor, format, auditFilter, () => ({ households, rows }), out, xlsx, () => (evaluate
    ? forEachCounted(source, { summary, category: filter.category ?? null }, writeHousehold)
    : forEachEvaluated<null>(source, (household) => writeHousehold(household))));

  let completed = finished;
  const result = summary.result();
  if (completed) {
    if (xlsx) {
      xlsx.addSummary({
        sheetName: '汇总',
        title: ledgerTitle(p.places, p.region, p.asOf.slice(0, 4), '建档立卡贫困户帮扶情况汇总'),
        notes: [
          `填报单位：${p.places.unitName(p.region)}`,
          `统计日期：${chineseDate(p.asOf)}`,
          ...(describeFilter(auditFilter) ? [`筛选条件：${describeFilter(auditFilter)}`] : []),
          `本台账共${households}户${persons}人`,
        ],
        header: ['项目', '户数', '人数'],
        rows: [
          ['享受政策的贫困户', result.households, result.persons],
          ...result.categories.map((c) => [c.name, c.households, c.persons] as (string | number | null)[]),
        ],
        sentence: result.sentence,
      });
      completed = await settle(xlsx.commit(), out);
    } else {
      await csv?.end();
      completed = out.writableFinished;
    }
  } else {
    xlsx?.abort();
    if (!out.destroyed) out.destroy();
  }
  const outcome = { households, rows, sheets: xlsx?.sheets ?? 1, completed };
  await audit(actor, format, auditFilter, outcome);
  return { ...outcome, summary: evaluate ? result : null };
}

/** The per-category ledger: one row per household or per counted person, with why it is in. */
export async function exportCategoryLedger(actor: Actor, filter: { category: SupportCategory; regionCode?: string; asOf?: string }, out: Writable, options: ExportOptions = {}): Promise<ExportOutcome> {
  const p = await prepare(actor, filter.regionCode, filter.asOf, options);
  const auditFilter = { regionCode: p.region, category: filter.category, asOf: p.asOf, ledger: 'category' };
  const ledger = categoryLedger(filter.category, householdsOnlyCategories().has(filter.category));
  const columns: CompiledColumn[] = compileColumns(ledger.columns);
  const signal = options.signal;
  const name = labelOf(supportCategory, filter.category);
  const xlsx = new LedgerWorkbookWriter(out, {
    sheetName: name,
    title: ledgerTitle(p.places, p.region, p.asOf.slice(0, 4), `${name}台账`),
    unit: p.places.unitName(p.region),
    date: chineseDate(p.today),
    headerRows: 1,
    columns: [...columns, { label: '纳入依据', width: 60 }],
  });
  const summary = summaryBuilderFor(p.region, p.asOf);
  let households = 0;
  let rows = 0;
  const finished = await failSafe(actor, 'xlsx', auditFilter, () => ({ households, rows }), out, xlsx, () => forEachEvaluated({ actor, region: p.region, asOf: p.asOf, signal, workers: options.workers }, (household, determination) => {
    const category = determination.categories.find((c) => c.id === filter.category);
    if (!category || category.status !== 'eligible') return;
    summary.add(determination);
    const reason = categoryReason(category);
    const values = ledger.perPerson
      ? personRows(household, countedMembers(household, category), columns, p.ctx, rows + 1)
      : householdRows(household, columns, p.ctx, rows + 1, false);
    xlsx.addRows(values.map((v) => [...v, reason]));
    households++;
    rows += values.length;
  }));
  let completed = finished;
  const result = summary.result();
  if (completed) {
    const count = result.categories.find((c) => c.id === filter.category);
    xlsx.addSummary({
      sheetName: '汇总',
      title: ledgerTitle(p.places, p.region, p.asOf.slice(0, 4), `${name}汇总`),
      notes: [`填报单位：${p.places.unitName(p.region)}`, `统计日期：${chineseDate(p.asOf)}`],
      header: ['项目', '户数', '人数'],
      rows: [[name, count?.households ?? 0, count?.persons ?? null]],
      sentence: result.sentence,
    });
    completed = await settle(xlsx.commit(), out);
  } else {
    xlsx.abort();
    if (!out.destroyed) out.destroy();
  }
  const outcome = { households, rows, sheets: xlsx.sheets, completed };
  await audit(actor, 'xlsx', auditFilter, outcome);
  return { ...outcome, summary: result };
}

/**
 * Runs the streaming part; when it fails (the database went away mid-cursor), the half-written
 * output is dropped rather than ended as if whole, and the attempt is still logged.
 */
async function failSafe(
  actor: Actor, format: string, filter: Record<string, unknown>, progress: () => { households: number; rows: number },
  out: Writable, xlsx: LedgerWorkbookWriter | null, body: () => Promise<boolean>,
): Promise<boolean> {
  try {
    return await body();
  } catch (err) {
    xlsx?.abort();
    if (!out.destroyed) out.destroy();
    await audit(actor, format, filter, { ...progress(), sheets: xlsx?.sheets ?? 1, completed: false }).catch(() => undefined);
    throw err;
  }
}

function personRows(household: Household, members: Household['members'], columns: readonly CompiledColumn[], ctx: RowContext, firstSeq: number) {
  // Persons in the member ledger's order and numbering (人编号): 户主 first.
  const ordered = membersHeadFirst(household.members);
  return members
    .map((member) => ({ member, memberSeq: ordered.indexOf(member) + 1 }))
    .sort((a, b) => a.memberSeq - b.memberSeq)
    .map(({ member, memberSeq }, i) => columns.map((c) => c.value({ household, member, memberSeq, seq: firstSeq + i, ctx })));
}

/**
 * exceljs resolves its commit on the output's 'finish', which never comes when the client has
 * gone away mid-commit; 'close' ends the wait then. True when the file was delivered whole.
 */
async function settle(commit: Promise<void>, out: Writable): Promise<boolean> {
  let onClose: () => void = () => {};
  const closed = new Promise<boolean>((resolve) => {
    onClose = () => resolve(false);
    out.once('close', onClose);
  });
  try {
    // 'close' follows 'finish' at once: a finished output was delivered whatever won the race.
    return (await Promise.race([commit.then(() => true), closed])) || out.writableFinished;
  } finally {
    out.off('close', onClose);
  }
}
