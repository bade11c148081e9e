/**
 * Ledger import throughput (issue 6 "How it is checked"): a synthetic county of
 * LEDGER_IMPORT_HOUSEHOLDS households (default 100,000, about 350k member rows) is written as a
 * national-member-detail .xlsx with the streaming writer (timed separately, not counted), then
 * imported end to end into a fresh embedded engine: zip check, streaming read, typing, grouping,
 * place resolution, validation with the API's rules, and the writes. Peak memory is the largest
 * RSS sampled during the import. The file is written by a child process: exceljs' streaming
 * writer holds the whole sheet until it is committed (PERF-NOTES.md), and the heap it grew would
 * otherwise stay in this process's RSS and be counted against the import.
 *
 * Targets on this machine (2 cores): import ≥ 15k rows/s, peak memory under 1 GB.
 *
 *   npx tsx bench/ledger-import.bench.ts            (or `npm run bench -- ledger-import`)
 *   LEDGER_IMPORT_HOUSEHOLDS=10000 npx tsx bench/ledger-import.bench.ts
 *   LEDGER_IMPORT_DRY_RUN=1 …   the same import as a dry run: reading, typing and validation
 *                                without the writes, to tell their cost from the engine's
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from '../src/db/connect';
import { writeCountyLedger } from '../src/ledger/make-samples';
import { generateCounty } from '../src/ledger/synthetic-county';
import { importFile } from '../src/ledger/import/import.cli';
import { upsertRegions } from '../src/regions/region.service';
import { HouseholdModel } from '../src/registry/household.model';
import { systemActor } from '../src/users/actor';

const SEED = 20240630;
const TARGET_ROWS_PER_SECOND = 15_000;
const TARGET_PEAK_BYTES = 1024 ** 3;

function mb(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}

export async function run(): Promise<boolean> {
  const households = Number(process.env.LEDGER_IMPORT_HOUSEHOLDS ?? 100_000);
  const dryRun = process.env.LEDGER_IMPORT_DRY_RUN === '1';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ledger-import-'));
  const file = path.join(dir, 'county.national-member-detail.xlsx');
  const connection = await connect({ dataDir: path.join(dir, 'data') });
  try {
    const county = generateCounty({ households, seed: SEED });
    await upsertRegions(systemActor, county.regions);

    let started = process.hrtime.bigint();
    const child = spawnSync(process.execPath, [...process.execArgv.filter((a) => a !== '--expose-gc'), __filename], {
      env: { ...process.env, LEDGER_IMPORT_WRITE_TO: file }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.status !== 0) throw new Error(`writing the ledger failed (exit ${child.status})`);
    const written = JSON.parse(child.stdout) as { households: number; rows: number };
    const writeSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(`generated ${written.households} households, ${written.rows} member rows, ${mb(fs.statSync(file).size)} in ${writeSeconds.toFixed(1)} s (not counted)`);

    (globalThis as { gc?: () => void }).gc?.();
    let peakRss = process.memoryUsage().rss;
    console.log(`RSS before the import: ${mb(peakRss)}`);
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50);
    started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    const job = await importFile({ file, layout: 'national-member-detail', dryRun, actor: systemActor, limits: { maxRows: 2_000_000 } });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);

    const storedCount = await HouseholdModel.countDocuments({});
    const rate = job.rows / seconds;
    const okRate = rate >= TARGET_ROWS_PER_SECOND;
    const okMem = peakRss < TARGET_PEAK_BYTES;
    console.log(`import${dryRun ? ' (dry run: nothing written)' : ''}: ${job.rows} rows, ${job.imported.households} households (${storedCount} stored, ${job.errorCount} errors) in ${seconds.toFixed(2)} s`
      + ` = ${Math.round(rate).toLocaleString('en')} rows/s (target ≥ ${TARGET_ROWS_PER_SECOND.toLocaleString('en')}: ${okRate ? 'met' : 'NOT met'});`
      + ` peak RSS ${mb(peakRss)} (target < 1 GB: ${okMem ? 'met' : 'NOT met'})`);
    // On a shared machine the wall clock includes other processes' time; CPU time does not.
    console.log(`import CPU: ${cpuSeconds.toFixed(2)} s (${Math.round(job.rows / cpuSeconds).toLocaleString('en')} rows per CPU-second; load average ${os.loadavg()[0].toFixed(1)})`);
    return okRate && okMem;
  } finally {
    await connection.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** In the child process: writes the county's ledger to `file` and prints its counts as JSON. */
async function writeLedger(file: string): Promise<void> {
  const households = Number(process.env.LEDGER_IMPORT_HOUSEHOLDS ?? 100_000);
  const county = generateCounty({ households, seed: SEED });
  const written = await writeCountyLedger(fs.createWriteStream(file), {
    layout: 'national-member-detail', households: county.households(), villages: county.villages, countyName: county.regions[2].name,
  });
  process.stdout.write(JSON.stringify(written));
}

if (require.main === module) {
  const target = process.env.LEDGER_IMPORT_WRITE_TO;
  (target ? writeLedger(target) : run()).then(() => process.exit(0), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
