/**
 * Ledger export throughput (issue 6 "How it is checked"): a synthetic county of
 * LEDGER_EXPORT_HOUSEHOLDS households (default 100,000, about 350k member rows) is loaded into the
 * embedded engine through the model (untimed), then the full-county ledger is exported to a file
 * as xlsx and as CSV, each timed end to end: cursor, evaluation for the 汇总 sheet, rows, zip,
 * disk. Each export runs in a process of its own on the loaded data; its peak memory is that
 * process's maximum resident set (worker threads included).
 *
 * Targets on this machine (2 cores): export ≥ 40k rows/s, peak memory under 1 GB.
 *
 *   npx tsx bench/ledger-export.bench.ts            (or `npm run bench -- ledger-export`)
 *   LEDGER_EXPORT_HOUSEHOLDS=10000 npx tsx bench/ledger-export.bench.ts
 *   LEDGER_EXPORT_WORKERS=0 …   (evaluate in the export's own thread, for comparison)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { connect } from '../src/db/connect';
import { exportLedger, type ExportFormat } from '../src/ledger/export/export.service';
import { generateCounty } from '../src/ledger/synthetic-county';
import { regionLevel } from '../src/regions/region-code';
import { upsertRegions } from '../src/regions/region.service';
import { HouseholdModel } from '../src/registry/household.model';
import type { Household } from '../src/registry/household.types';
import { systemActor } from '../src/users/actor';

const TARGET_ROWS_PER_SECOND = 40_000;
const TARGET_PEAK_BYTES = 1024 ** 3;

/** The stored form: the model keeps each member's personId (the first 18 ID characters). */
function stored(h: Household): Record<string, unknown> {
  return { ...h, members: h.members.map((m) => ({ ...m, personId: m.idNumber ? m.idNumber.slice(0, 18) : null })) };
}

async function load(households: number): Promise<{ county: string; members: number }> {
  const county = generateCounty({ households, seed: 20240630 });
  await upsertRegions(systemActor, county.regions);
  let batch: Record<string, unknown>[] = [];
  let members = 0;
  for (const h of county.households()) {
    members += h.members.length;
    batch.push(stored(h));
    if (batch.length === 1000) {
      await HouseholdModel.insertMany(batch, { lean: true, ordered: false });
      batch = [];
    }
  }
  if (batch.length > 0) await HouseholdModel.insertMany(batch, { lean: true, ordered: false });
  const countyCode = county.regions.find((r) => regionLevel(r.code) === 'county')?.code;
  if (!countyCode) throw new Error('the synthetic county has no county-level region');
  return { county: countyCode, members };
}

interface Figures { seconds: number; cpu: number; rows: number; households: number; peakRss: number; bytes: number }

/**
 * One export, in a process of its own opened on the loaded data folder, so its peak memory is the
 * export's and not the loading's (the parent process generated and inserted the county).
 */
async function timeExport(format: ExportFormat, dataDir: string, county: string, dir: string): Promise<Figures> {
  const file = path.join(dir, `ledger.${format}`);
  const child = spawnSync(process.execPath, ['--require', 'tsx/cjs', __filename, 'export-child', format, dataDir, county, file], {
    encoding: 'utf8', env: process.env, maxBuffer: 16 * 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`the ${format} export failed: ${child.stderr || child.stdout}`);
  const line = child.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Figures;
}

/** The child's side: connect to the data folder, export once, print the figures as JSON. */
async function exportChild(format: ExportFormat, dataDir: string, county: string, file: string): Promise<void> {
  const db = await connect({ dataDir });
  try {
    const workers = process.env.LEDGER_EXPORT_WORKERS === undefined ? undefined : Number(process.env.LEDGER_EXPORT_WORKERS);
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    const out = fs.createWriteStream(file);
    const closed = new Promise<void>((resolve, reject) => { out.on('close', () => resolve()); out.on('error', reject); });
    const outcome = await exportLedger(systemActor, { regionCode: county, asOf: '2024-06-30' }, format, out, { workers });
    await closed;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    // maxRSS is in kilobytes; it covers the worker threads too (one process).
    const figures: Figures = { seconds, cpu: (used.user + used.system) / 1e6, rows: outcome.rows, households: outcome.households, peakRss: process.resourceUsage().maxRSS * 1024, bytes: fs.statSync(file).size };
    console.log(JSON.stringify(figures));
  } finally {
    await db.close();
  }
}

/**
 * The machine's ceiling for the same rows: exceljs' streaming writer alone, the row shape of the
 * national layout, no database, no evaluation (PERF-NOTES.md measured 43.6k rows/s when idle).
 * Printed beside the export so a loaded machine is not mistaken for a slow export.
 */
async function plainWriterRate(dir: string, rows: number): Promise<number> {
  const out = fs.createWriteStream(path.join(dir, 'plain.xlsx'));
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const ws = wb.addWorksheet('s');
  const started = process.hrtime.bigint();
  for (let i = 0; i < rows; i++) {
    ws.addRow([i, '红安县', '城关镇', '张家村', '三组', '421199001001000123', '42119900100100012301', '张三', '11010519491231002X', 3, '户主', '汉族',
      '小学', '非在校生', '健康', '普通劳动力', '无', 0, '是', '未脱贫', null, '一般贫困户', '因病', '否', '是', 5300, '13812345678']).commit();
  }
  await wb.commit();
  return rows / (Number(process.hrtime.bigint() - started) / 1e9);
}

function report(name: string, f: Figures): boolean {
  const rate = f.rows / f.seconds;
  const okRate = rate >= TARGET_ROWS_PER_SECOND;
  const okMem = f.peakRss < TARGET_PEAK_BYTES;
  console.log(`${name}: ${f.households} households, ${f.rows} rows in ${f.seconds.toFixed(2)} s (${f.cpu.toFixed(1)} s CPU, all threads) = ${Math.round(rate).toLocaleString('en')} rows/s `
    + `(target ≥ ${TARGET_ROWS_PER_SECOND.toLocaleString('en')}: ${okRate ? 'met' : 'NOT met'}); `
    + `peak RSS ${(f.peakRss / 1024 ** 2).toFixed(0)} MB (target < 1024 MB: ${okMem ? 'met' : 'NOT met'}); file ${(f.bytes / 1024 ** 2).toFixed(1)} MB`);
  return okRate && okMem;
}

export async function run(): Promise<boolean> {
  const households = Number(process.env.LEDGER_EXPORT_HOUSEHOLDS ?? 100_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-export-bench-'));
  const dataDir = path.join(dir, 'data');
  const db = await connect({ dataDir });
  let open = true;
  try {
    const loadStart = Date.now();
    const { county, members } = await load(households);
    console.log(`loaded ${households} households, ${members} members in ${((Date.now() - loadStart) / 1000).toFixed(1)} s (untimed)`);
    await db.close();
    open = false;
    const xlsx = await timeExport('xlsx', dataDir, county, dir);
    const xlsxOk = report('xlsx export', xlsx);
    const csv = await timeExport('csv', dataDir, county, dir);
    const csvOk = report('csv export ', csv);
    const plain = await plainWriterRate(dir, Math.min(xlsx.rows, 100_000));
    console.log(`for scale: exceljs' streaming writer alone on this machine now: ${Math.round(plain).toLocaleString('en')} rows/s; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    return xlsxOk && csvOk;
  } finally {
    if (open) await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module && process.argv[2] === 'export-child') {
  const [format, dataDir, county, file] = process.argv.slice(3);
  exportChild(format as ExportFormat, dataDir, county, file).catch((err: unknown) => { console.error(err); process.exitCode = 1; });
} else if (require.main === module) {
  run().then(
    // A missed target is printed as such; only a failure to run exits non-zero.
    (ok) => { if (!ok) console.log('ledger-export: a target was not met'); },
    (err: unknown) => { console.error(err); process.exitCode = 1; },
  );
}
