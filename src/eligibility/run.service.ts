/**
 * Eligibility runs over a region (DESIGN.md runs API): a background job streams the subtree's
 * households from the registry's cursor, evaluates them (in worker threads for a large region),
 * stores one result per household in batches and keeps the summary as counters, so memory stays
 * flat whatever the region's size (PERF-NOTES.md: never hold a region's determinations).
 */
import os from 'node:os';
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import mongoose from 'mongoose';
import { recordAudit } from '../audit/audit.service';
import { AppError } from '../http/errors';
import { safeCellValue, TEXT_FORMAT } from '../ledger/cell';
import { isWithinAny, regionPrefix } from '../regions/region-code';
import { maskIdNumber } from '../registry/id-number';
import { databaseUri } from '../db/connect';
import { countHouseholds, householdCursor, householdVillages } from '../registry/household.service';
import type { Actor } from '../users/actor';
import { can } from '../users/permissions';
import { expandDetermination, findingContext, ruleNames, runShared, sharedOfRun, storedDetermination, storedFindings } from './determination.codec';
import { EvaluationPool } from './evaluation.pool';
import { EVALUATED_FIELDS } from './evaluated-fields';
import { duplicatesSeen, evaluateRunBatch, resultDocument, type SummaryCounters, type WorkItem } from './evaluate.worker';
import { enrolmentFindingTypes, type Finding } from './findings';
import { ResultModel, RunModel } from './run.model';
import { currentRules, rulesInForce, type LoadedRules } from './ruleset.loader';
import { reportedRules, SummaryBuilder, type RunSummary } from './summary';

/** Households per insert, in this thread. */
const BATCH = 250;
/** Regions smaller than this are evaluated in this thread: starting workers costs more. */
const WORKER_THRESHOLD = 5_000;
/**
 * Worker threads of a large region's run: one per core, at least two and at most four. Each
 * reads its villages' households through its own connection, evaluates them and writes their
 * results, so this thread only serves the database (embedded) and adds up counters. Before,
 * this thread read and decoded every household, handed it over and encoded every result, at
 * about a millisecond a household: a second worker then only competed with it for the second
 * core. Four is as far as this was reasoned about, not measured (this machine has two cores).
 */
const WORKERS = Math.min(4, Math.max(2, os.availableParallelism()));
/** Villages handed to each worker at a time: one being read, one waiting. */
const VILLAGES_PER_WORKER = 2;
const PROGRESS_EVERY_MS = 500;

export interface RunOptions {
  /**
   * Worker threads; by default one per core (two to four) for a region of 5,000 households or
   * more, none for a smaller one, and none when the database address is not known here.
   */
  workers?: number;
  onProgress?(progress: { done: number; total: number; rate: number }): void;
}

export interface RunView {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  regionCode: string;
  asOf: string;
  progress: { done: number; total: number };
  rate: number;
  workers: number;
  ruleSet: { id: string; version: string; hash: string };
  additions: { id: string; version: string }[];
  parameters: unknown;
  summary: RunSummary | null;
  error: string | null;
  createdBy: string | null;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

function parameterSnapshot(rules: LoadedRules): Record<string, unknown> {
  return Object.fromEntries([...rules.parameters.values()].map((p) => [p.name, {
    values: Object.fromEntries(p.values.map((v) => [v.from, v.value])),
    regions: Object.fromEntries(p.regions.map((r) => [r.prefix, Object.fromEntries(r.values.map((v) => [v.from, v.value]))])),
    files: p.files,
  }]));
}

function iso(d: unknown): string | null {
  return d instanceof Date ? d.toISOString() : null;
}

function present(doc: any): RunView {
  return {
    id: String(doc._id), status: doc.status, regionCode: doc.regionCode, asOf: doc.asOf,
    progress: { done: doc.progress?.done ?? 0, total: doc.progress?.total ?? 0 },
    rate: doc.rate ?? 0, workers: doc.workers ?? 0,
    ruleSet: doc.ruleSet, additions: doc.additions ?? [], parameters: doc.parameters ?? null,
    summary: doc.summary ?? null, error: doc.error ?? null, createdBy: doc.createdBy?.username ?? null,
    createdAt: iso(doc.createdAt), startedAt: iso(doc.startedAt), finishedAt: iso(doc.finishedAt),
  };
}

/** Creates a queued run; a region outside the caller's subtrees does not exist for it (404). */
export async function createRun(actor: Actor, input: { regionCode: string; asOf: string }): Promise<{ id: string }> {
  if (!isWithinAny(input.regionCode, actor.regionCodes)) throw new AppError('REGION_NOT_FOUND');
  const rules = currentRules();
  const additions = rules.extensions
    .filter((s) => s.appliesTo!.some((p) => p.startsWith(regionPrefix(input.regionCode)) || regionPrefix(input.regionCode).startsWith(p)))
    .map((s) => ({ id: s.id, version: s.version }));
  // What the run's stored results leave out; the workers work it out again for the same region prefix.
  const shared = runShared(rules, regionPrefix(input.regionCode), input.asOf);
  const doc = await RunModel.create({
    status: 'queued', regionCode: input.regionCode, asOf: input.asOf,
    createdBy: { userId: actor.userId, username: actor.username, role: actor.role },
    scope: actor.regionCodes,
    ruleSet: { id: rules.base.id, version: rules.base.version, hash: rules.hash },
    additions, parameters: parameterSnapshot(rules), ruleNames: ruleNames(rules),
    conditionTemplates: shared.templates, householdParameters: shared.parameters,
  });
  const id = String(doc._id);
  await recordAudit(actor, {
    action: 'eligibility.run', entity: 'run', entityId: id, regionCode: input.regionCode,
    details: { asOf: input.asOf, ruleSet: { id: rules.base.id, version: rules.base.version, hash: rules.hash } },
  });
  return { id };
}

/** Starts a run in the background and answers at once with its id. */
export async function startRun(actor: Actor, input: { regionCode: string; asOf: string }, options: RunOptions = {}): Promise<{ id: string }> {
  const { id } = await createRun(actor, input);
  setImmediate(() => {
    executeRun(id, options).catch(() => {
      // executeRun records the failure on the run itself.
    });
  });
  return { id };
}

/** What both ways of running a region need: where to read, how to evaluate, where to count. */
interface RunJob {
  runId: mongoose.Types.ObjectId;
  asOf: string;
  regionCode: string;
  actor: Actor;
  rules: LoadedRules;
  /** Adds a stored batch's counters to the run and reports progress now and then. */
  progress(stored: number, counters: SummaryCounters): Promise<void>;
}

/**
 * A region's households in this thread, from one cursor in code order: a person seen in an
 * earlier household of the run is a duplicate (the registry's unique index on person ids makes
 * that a data check that should never fire for stored households, but a run does not assume it).
 */
async function runHere(job: RunJob): Promise<void> {
  const seen = new Set<string>();
  const prefix = regionPrefix(job.regionCode);
  let batch: WorkItem[] = [];
  const store = async () => {
    const { results, summary } = await evaluateRunBatch(job.rules, job.asOf, batch, prefix);
    batch = [];
    const docs = results.map((r) => resultDocument(job.runId, r));
    if (docs.length > 0) await ResultModel.collection.insertMany(docs, { ordered: false });
    await job.progress(docs.length, summary);
  };
  for await (const household of householdCursor(job.actor, { regionCode: job.regionCode }, { fields: EVALUATED_FIELDS })) {
    batch.push({ household, duplicatePersonIds: duplicatesSeen(household, seen) });
    if (batch.length >= BATCH) await store();
  }
  if (batch.length > 0) await store();
}

/**
 * A region's households in worker threads, village by village (`householdVillages`): each
 * worker reads, evaluates and stores a village and sends back its counters, a few villages in
 * flight per worker. The first failure stops handing out villages and fails the run.
 */
async function runInWorkers(job: RunJob, pool: EvaluationPool): Promise<void> {
  const villages = await householdVillages(job.actor, { regionCode: job.regionCode });
  const prefix = regionPrefix(job.regionCode);
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  for (const village of villages) {
    if (failure) break;
    const work: Promise<void> = pool.runVillage(job.asOf, { runId: String(job.runId), village, regionPrefix: prefix, actor: job.actor })
      .then((out) => job.progress(out.stored, out.summary))
      .catch((err: Error) => { failure ??= err; })
      .finally(() => inFlight.delete(work));
    inFlight.add(work);
    while (inFlight.size >= pool.size * VILLAGES_PER_WORKER) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
}

/** Runs a queued run to the end; records `done` with its summary, or `failed` with the reason. */
export async function executeRun(id: string, options: RunOptions = {}): Promise<RunSummary> {
  const runId = new mongoose.Types.ObjectId(id);
  const run = await RunModel.findById(runId).lean<any>();
  if (!run) throw new AppError('RUN_NOT_FOUND');
  const rules = currentRules();
  let pool: EvaluationPool | undefined;
  try {
    if (rules.hash !== run.ruleSet.hash) throw new Error('the rules changed since the run was created; start a new run');
    const actor: Actor = { userId: run.createdBy.userId, username: run.createdBy.username, role: run.createdBy.role, regionCodes: run.scope };
    // A count only: the first page of a list would sort the whole region to find it.
    const total = await countHouseholds(actor, { regionCode: run.regionCode });
    const started = Date.now();
    const uri = databaseUri();
    const workers = uri ? options.workers ?? (total >= WORKER_THRESHOLD ? WORKERS : 0) : 0;
    await RunModel.updateOne({ _id: runId }, { $set: { status: 'running', startedAt: new Date(started), 'progress.total': total, workers } });

    const summary = new SummaryBuilder(reportedRules(rules, regionPrefix(run.regionCode), run.asOf));
    let done = 0;
    let lastProgress = 0;
    const progress = async (stored: number, counters: SummaryCounters) => {
      summary.merge(counters);
      done += stored;
      const now = Date.now();
      if (now - lastProgress < PROGRESS_EVERY_MS) return;
      lastProgress = now;
      const rate = done / Math.max((now - started) / 1000, 0.001);
      options.onProgress?.({ done, total, rate });
      await RunModel.updateOne({ _id: runId }, { $set: { 'progress.done': done, rate: Math.round(rate) } });
    };
    const job: RunJob = { runId, asOf: run.asOf, regionCode: run.regionCode, actor, rules, progress };
    if (workers > 0) {
      pool = await EvaluationPool.start(workers, rules, { databaseUri: uri });
      await runInWorkers(job, pool);
    } else {
      await runHere(job);
    }

    const result = summary.result();
    const rate = done / Math.max((Date.now() - started) / 1000, 0.001);
    options.onProgress?.({ done, total, rate });
    await RunModel.updateOne({ _id: runId }, {
      $set: { status: 'done', summary: result, 'progress.done': done, 'progress.total': Math.max(total, done), rate: Math.round(rate), finishedAt: new Date() },
    });
    return result;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await RunModel.updateOne({ _id: runId }, { $set: { status: 'failed', error: message, finishedAt: new Date() } });
    throw err;
  } finally {
    await pool?.close();
  }
}

async function findRun(actor: Actor, id: string): Promise<any> {
  if (!mongoose.isValidObjectId(id)) throw new AppError('RUN_NOT_FOUND');
  const doc = await RunModel.findById(id).lean<any>();
  // A run over a region outside the caller's subtrees does not exist for the caller.
  if (!doc || !isWithinAny(doc.regionCode, actor.regionCodes)) throw new AppError('RUN_NOT_FOUND');
  return doc;
}

export async function getRun(actor: Actor, id: string): Promise<RunView> {
  return present(await findRun(actor, id));
}

export interface ResultQuery { category?: string; finding?: string; page: number; limit: number }

export async function listResults(actor: Actor, id: string, query: ResultQuery) {
  const run = await findRun(actor, id);
  const filter: Record<string, unknown> = { runId: run._id };
  if (query.category) filter.categories = query.category;
  if (query.finding) filter.findingTypes = query.finding;
  const [docs, total] = await Promise.all([
    ResultModel.find(filter).sort({ householdCode: 1 }).skip((query.page - 1) * query.limit).limit(query.limit).lean<any[]>(),
    ResultModel.countDocuments(filter),
  ]);
  // A list: full ID numbers only for roles that may see them in bulk, as in the findings workbook.
  const showIds = can(actor, 'id:view-bulk');
  const shared = sharedOfRun(run);
  const findingsFor = (findings: Finding[]) => (showIds ? findings : findings.map((f) => (f.idNumbers ? { ...f, idNumbers: f.idNumbers.map(maskIdNumber) } : f)));
  const items = docs.map((d) => {
    const findings = storedFindings(d.findings, findingContext(d, run));
    return {
      householdCode: d.householdCode, regionCode: d.regionCode, inPolicy: d.inPolicy,
      categories: d.categories, findings: findingsFor(findings), determination: expandDetermination(storedDetermination(d.determination), run.ruleNames ?? {}, findings, shared),
    };
  });
  return { items, total, page: query.page, limit: query.limit };
}

/** Finding types of a run, in the rule set's order: the data checks, then the enrolment findings. */
export function findingTypesOf(rules: LoadedRules, asOf: string): { type: string; name: string }[] {
  const dataChecks = [rules.base, ...rules.extensions].flatMap((s) => rulesInForce(s, asOf)).filter((r) => r.kind === 'data-check');
  return [
    ...dataChecks.map((r) => ({ type: r.id, name: r.name })),
    ...Object.entries(enrolmentFindingTypes).map(([type, name]) => ({ type, name })),
  ];
}

/** Excel allows 31 characters and none of []:*?/\ in a sheet name. */
function sheetName(name: string, used: Set<string>): string {
  let base = name.replace(/[[\]:*?/\\]/g, ' ').slice(0, 28);
  for (let i = 2; used.has(base); i++) base = `${name.slice(0, 26)}${i}`;
  used.add(base);
  return base;
}

/**
 * The run's findings as a workbook, one sheet per finding type, streamed (STYLE.md 19). Text is
 * neutralised against formula injection; ID numbers are text, masked unless the role may see
 * them in bulk.
 */
export async function writeFindingsWorkbook(actor: Actor, id: string, out: Writable): Promise<void> {
  const run = await findRun(actor, id);
  if (run.status !== 'done') throw new AppError('RUN_NOT_FINISHED');
  const showIds = can(actor, 'id:view-bulk');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const used = new Set<string>();
  let rows = 0;
  for (const { type, name } of findingTypesOf(currentRules(), run.asOf)) {
    const sheet = workbook.addWorksheet(sheetName(name, used));
    sheet.columns = [
      { header: '户编号', key: 'householdCode', width: 22, style: { numFmt: TEXT_FORMAT } },
      { header: '区划代码', key: 'regionCode', width: 15, style: { numFmt: TEXT_FORMAT } },
      { header: '问题类型', key: 'type', width: 22 },
      { header: '规则', key: 'rule', width: 22 },
      { header: '帮扶类别', key: 'category', width: 14 },
      { header: '原因', key: 'reason', width: 50 },
      { header: '证件号码', key: 'idNumbers', width: 24, style: { numFmt: TEXT_FORMAT } },
    ];
    const cursor = ResultModel.find({ runId: run._id, findingTypes: type }).sort({ householdCode: 1 }).lean().cursor();
    for await (const doc of cursor as AsyncIterable<any>) {
      for (const f of storedFindings(doc.findings, findingContext(doc, run)).filter((x) => x.type === type)) {
        const ids = (f.idNumbers ?? []).map((n) => (showIds ? n : maskIdNumber(n))).join('、');
        sheet.addRow({
          householdCode: safeCellValue(f.householdCode), regionCode: safeCellValue(f.regionCode), type: safeCellValue(name),
          rule: safeCellValue(f.rule), category: safeCellValue(f.category ?? null), reason: safeCellValue(f.reason), idNumbers: safeCellValue(ids || null),
        }).commit();
        rows += 1;
      }
    }
    sheet.commit();
  }
  await workbook.commit();
  // Exports are logged with what was exported and how much (SECURITY.md "Excel out").
  await recordAudit(actor, { action: 'export', entity: 'findings', entityId: id, regionCode: run.regionCode, details: { format: 'xlsx', filter: { runId: id, asOf: run.asOf }, rows } });
}

/**
 * At start-up: a run still queued or running was cut off when the last process stopped (runs live
 * in the process that started them), so it is marked failed rather than shown running forever.
 */
export async function failInterruptedRuns(): Promise<number> {
  const { modifiedCount } = await RunModel.updateMany(
    { status: { $in: ['queued', 'running'] } },
    { $set: { status: 'failed', error: 'interrupted: the service stopped during the run; start it again', finishedAt: new Date() } },
  );
  return modifiedCount;
}
