/**
 * Eligibility throughput (issue 5 "How it is checked"), printed beside its targets:
 *
 * 1. determinations/s of the engine alone over ELIGIBILITY_BENCH_HOUSEHOLDS synthetic households
 *    (default 100,000), full explanations, in this thread and in two worker threads (each worker
 *    builds its own half of the same county: PERF-NOTES.md measured posting households to
 *    workers at ~20%);
 * 2. the same decisions written as one plain TypeScript function over the same households, in
 *    the same run (the floor), and the ratio;
 * 3. a run over a county of that size in the embedded engine, end to end (read, evaluate, store,
 *    summarise), its time and peak RSS. The households are loaded through the model first,
 *    untimed.
 *
 * Targets: engine ≥ 25,000 households/s on both cores with full explanations; county run
 * < 30 s with flat memory. CPU seconds are printed beside wall time: on a machine shared with
 * other work, wall time measures the machine; households per CPU-second measure the code.
 *
 *   npx tsx bench/eligibility.bench.ts          (or `npm run bench -- eligibility`)
 *   ELIGIBILITY_BENCH_HOUSEHOLDS=20000 npx tsx bench/eligibility.bench.ts
 *   ELIGIBILITY_BENCH_ONLY=run npx tsx bench/eligibility.bench.ts     (the county run alone)
 *   ELIGIBILITY_BENCH_ONLY=engine …  (the engine-alone figures alone)
 *   ELIGIBILITY_BENCH_WORKERS=2 …   (the run's worker threads; the service's default otherwise)
 *   ENGINE_CACHE_MB=8 …             (the embedded engine's document cache, as the service reads it)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import mongoose from 'mongoose';
import { connect } from '../src/db/connect';
import { runRegion } from '../src/eligibility/cli.commands';
import { evaluateHousehold } from '../src/eligibility/evaluate';
import { computeFacts, type ParameterValues } from '../src/eligibility/facts';
import { currentRules } from '../src/eligibility/ruleset.loader';
import { generateCounty } from '../src/ledger/synthetic-county';
import { regionLevel } from '../src/regions/region-code';
import { upsertRegions } from '../src/regions/region.service';
import { HouseholdModel } from '../src/registry/household.model';
import type { Household } from '../src/registry/household.types';
import { systemActor } from '../src/users/actor';

const HOUSEHOLDS = Number(process.env.ELIGIBILITY_BENCH_HOUSEHOLDS ?? 100_000);
const AS_OF = '2024-06-30';
const SEED = 20240630;
const TARGET_ENGINE = 25_000;
const TARGET_RUN_SECONDS = 30;
/** Households each engine-alone measurement evaluates untimed first, for the JIT. */
const WARM_UP = 2000;

function* county(part?: { index: number; of: number }): Generator<Household> {
  let i = 0;
  for (const h of generateCounty({ households: HOUSEHOLDS, seed: SEED }).households()) {
    if (!part || i % part.of === part.index) yield h;
    i++;
  }
}

/**
 * The default rule set's decisions as one plain function (no explanations, unknown read as
 * "no"): the floor the engine is measured against.
 */
function plainDecisions(h: Household, params: ParameterValues): number {
  const f = computeFacts(h, AS_OF, params).values as Record<string, any>;
  const p = params as Record<string, any>;
  const inPolicy = f.inPolicy === true;
  const gt0 = (v: unknown) => typeof v === 'number' && v > 0;
  let eligible = 0;
  if (inPolicy && (f.dibao === true || f.tekun === true || (f.perCapitaNetIncome < p.dibaoLine && f.ableToWorkCount === 0))) eligible++;
  if (inPolicy && gt0(f.disabledCount)) eligible++;
  if (inPolicy && gt0(f.chronicCount)) eligible++;
  if (inPolicy && gt0(f.chronicSeriousOrDisabledCount)) eligible++;
  if (inPolicy && gt0(f.studentCount)) eligible++;
  if (inPolicy && f.wantsIndustry === true && gt0(f.ableToWorkCount)) eligible++;
  if (inPolicy && f.wantsIndustry === true && f.badCredit === false && f.microloanBalance < p['microloan.maxBalance'] && gt0(f.microloanEligibleMemberCount)) eligible++;
  if (inPolicy && gt0(f.memberCount) && f.tekunCare !== 'concentrated') eligible++;
  const checked = f.inPolicyOrMonitored === true;
  let failing = 0;
  if (checked && f.perCapitaNetIncome < p.monitoringLine) failing++;
  if (checked && gt0(f.dropoutCount)) failing++;
  if (checked && gt0(f.uninsuredCount)) failing++;
  if (checked && f.housingSafe === false) failing++;
  if (checked && f.waterSafe === false) failing++;
  if (!inPolicy && f.monitoredOpenRisk === false && (f.perCapitaNetIncome < p.monitoringLine || f.medicalBurden > p.medicalBurdenRatio || f.suddenHardship === true)) failing++;
  if (f.headCount !== 1) failing++;
  if (f.invalidIdNumberCount > 0 || f.duplicatePersonCount > 0 || f.memberCountDiffers === true) failing++;
  if (inPolicy && f.helperCount === 0) failing++;
  if (inPolicy && f.monthsSinceIdentified >= p.supportMeasureGraceMonths && f.supportCount === 0) failing++;
  return eligible * 100 + failing;
}

function paramsFor(regionCode: string): ParameterValues {
  const rules = currentRules();
  const out: Record<string, unknown> = {};
  for (const p of rules.parameters.values()) {
    const v = [...p.regions.filter((r) => regionCode.startsWith(r.prefix)).map((r) => r.values), p.values]
      .map((values) => values.filter((x) => x.from <= AS_OF).pop())
      .find((x) => x && x.value !== null);
    if (v) {
      out[p.name] = v.value;
      if (typeof v.value === 'object' && v.value) for (const [k, x] of Object.entries(v.value)) out[`${p.name}.${k}`] = x;
    }
  }
  return out;
}

/** CPU seconds of this process (every thread) since `since`. */
function cpuSeconds(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

async function engineAlone(households: Iterable<Household>): Promise<{ count: number; seconds: number; cpu: number; checksum: number }> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let count = 0;
  let checksum = 0;
  for (const h of households) {
    const d = await evaluateHousehold(h, AS_OF);
    count++;
    for (const c of d.categories) if (c.status === 'eligible') checksum++;
  }
  return { count, seconds: Number(process.hrtime.bigint() - started) / 1e9, cpu: cpuSeconds(cpu), checksum };
}

// ---------------------------------------------------------------- worker side

if (!isMainThread && workerData?.bench === 'eligibility') {
  const { index, of } = workerData as { index: number; of: number };
  // Data already in the worker, as PERF-NOTES.md measured: build first, then time.
  const mine = [...county({ index, of })];
  // The same warm-up as the one-thread figure's (`engineFigures`; it was half of it before
  // session 5), so that both figures time the same steady state.
  void engineAlone(mine.slice(0, WARM_UP)).then(() => parentPort!.postMessage({ ready: true }));
  parentPort!.once('message', async () => {
    const figures = await engineAlone(mine);
    parentPort!.postMessage(figures);
  });
}

async function twoWorkers(): Promise<{ count: number; seconds: number; cpu: number }> {
  const workers = [0, 1].map((index) => new Worker(__filename, { workerData: { bench: 'eligibility', index, of: 2 }, execArgv: ['--require', 'tsx/cjs'] }));
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const results = await Promise.all(workers.map((w) => new Promise<{ count: number }>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
    w.postMessage('go');
  })));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = cpuSeconds(cpu);
  await Promise.all(workers.map((w) => w.terminate()));
  return { count: results.reduce((a, r) => a + r.count, 0), seconds, cpu: used };
}

// ---------------------------------------------------------------- county run

interface CountyRunFigures {
  seconds: number; cpu: number; peakRss: number; startRss: number; sentence: string; done: number;
  /** RSS when a quarter, half, three quarters and all of the county was stored. */
  quarters: number[];
  /** RSS and this thread's heap after the run, after a full GC, over what they were before. */
  retainedRss: number; retainedHeap: number;
}

async function countyRun(): Promise<CountyRunFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eligibility-bench-'));
  // ENGINE_CACHE_MB as the service reads it (src/config.ts); the engine's default otherwise.
  const db = await connect({ dataDir: path.join(dir, 'data'), documentCacheBytes: process.env.ENGINE_CACHE_MB ? Number(process.env.ENGINE_CACHE_MB) * 1024 ** 2 : undefined });
  try {
    await Promise.all(mongoose.modelNames().map((n) => mongoose.model(n).init()));
    const c = generateCounty({ households: HOUSEHOLDS, seed: SEED });
    await upsertRegions(systemActor, c.regions);
    let batch: Record<string, unknown>[] = [];
    for (const h of c.households()) {
      batch.push({ ...h, members: h.members.map((m) => ({ ...m, personId: m.idNumber ? m.idNumber.slice(0, 18) : null })) });
      if (batch.length === 1000) {
        await HouseholdModel.insertMany(batch, { lean: true, ordered: false });
        batch = [];
      }
    }
    if (batch.length > 0) await HouseholdModel.insertMany(batch, { lean: true, ordered: false });
    const countyCode = c.regions.find((r) => regionLevel(r.code) === 'county')!.code;
    const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
    gc();
    const before = process.memoryUsage();
    const startRss = before.rss;
    let peakRss = startRss;
    const quarters: number[] = [];
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 100);
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    let done = 0;
    const summary = await runRegion({
      regionCode: countyCode, asOf: AS_OF, workers: process.env.ELIGIBILITY_BENCH_WORKERS ? Number(process.env.ELIGIBILITY_BENCH_WORKERS) : undefined,
      onProgress: (p) => {
        done = p.done;
        while (quarters.length < 4 && done >= (HOUSEHOLDS * (quarters.length + 1)) / 4) quarters.push(process.memoryUsage().rss);
      },
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = cpuSeconds(cpu);
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    gc();
    const after = process.memoryUsage();
    return {
      seconds, cpu: used, peakRss, startRss, sentence: summary.sentence, done, quarters,
      retainedRss: after.rss - before.rss, retainedHeap: after.heapUsed - before.heapUsed,
    };
  } finally {
    await db.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (b: number) => `${(b / 1024 ** 2).toFixed(0)} MB`;
const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en');

async function engineFigures(): Promise<void> {
  const households = [...county()];
  const members = households.reduce((a, h) => a + h.members.length, 0);
  console.log(`  built ${households.length.toLocaleString('en')} households, ${members.toLocaleString('en')} members`);

  // Warm up the engine and the JIT, then time.
  await engineAlone(households.slice(0, Math.min(WARM_UP, households.length)));
  const single = await engineAlone(households);
  console.log(`  engine alone, 1 thread : ${rate(single.count, single.seconds).padStart(8)} households/s  (${single.seconds.toFixed(1)} s wall, ${single.cpu.toFixed(1)} s CPU: ${rate(single.count, single.cpu)} per CPU-second)`);

  const params = paramsFor(households[0].regionCode);
  let sink = 0;
  for (const h of households.slice(0, 2000)) sink += plainDecisions(h, params);
  const plainStart = process.hrtime.bigint();
  for (const h of households) sink += plainDecisions(h, params);
  const plainSeconds = Number(process.hrtime.bigint() - plainStart) / 1e9;
  console.log(`  plain TS function      : ${rate(households.length, plainSeconds).padStart(8)} households/s  (same facts, no explanations; checksum ${sink % 997})`);
  console.log(`  plain / engine         : ${((households.length / plainSeconds) / (single.count / single.seconds)).toFixed(1)}×`);
  households.length = 0;

  const threaded = await twoWorkers();
  const threadedRate = threaded.count / threaded.seconds;
  console.log(`  engine alone, 2 threads: ${rate(threaded.count, threaded.seconds).padStart(8)} households/s  (${threaded.seconds.toFixed(1)} s wall, ${threaded.cpu.toFixed(1)} s CPU: ${rate(threaded.count, threaded.cpu)} per CPU-second)  target ≥ ${TARGET_ENGINE.toLocaleString('en')}  ${threadedRate >= TARGET_ENGINE ? 'MET' : 'NOT MET'}`);
}

export async function run(): Promise<void> {
  console.log(`eligibility: ${HOUSEHOLDS.toLocaleString('en')} synthetic households, as of ${AS_OF}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}`);
  if (process.env.ELIGIBILITY_BENCH_ONLY !== 'run') await engineFigures();
  if (process.env.ELIGIBILITY_BENCH_ONLY === 'engine') return;
  const r = await countyRun();
  const verdict = HOUSEHOLDS < 100_000 ? 'n/a below 100,000 households' : r.seconds < TARGET_RUN_SECONDS ? 'MET' : 'NOT MET';
  console.log(`  county run end to end  : ${r.seconds.toFixed(1)} s wall, ${r.cpu.toFixed(1)} s CPU (all threads) for ${r.done.toLocaleString('en')} households (${rate(r.done, r.seconds)}/s)  target < ${TARGET_RUN_SECONDS} s for 100,000  ${verdict}`);
  console.log(`  county run memory      : RSS ${mb(r.startRss)} before, peak ${mb(r.peakRss)} (+${mb(r.peakRss - r.startRss)}); at ¼ ½ ¾ 1 of the county: ${r.quarters.map((q) => `+${mb(q - r.startRss)}`).join(' ')}`);
  console.log(`  held after the run     : RSS +${mb(r.retainedRss)}, this thread's heap +${mb(r.retainedHeap)} after GC (the embedded engine keeps its indexes in memory: the ${r.done.toLocaleString('en')} stored results' keys)`);
  console.log(`  ${r.sentence}`);
  console.log(`  load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

if (isMainThread && require.main === module) {
  run().then(() => process.exit(0), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
