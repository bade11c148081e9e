// Benchmark of the embedded MongoDB-compatible engine through Mongoose (issue 2, "How it is
// checked"): inserts/s for 10k households, findOne-by-unique-field latency beside a bare ping,
// update-by-index/s, a $unwind/$group aggregate over 100k households and the memory they take.
// The engine runs in this process, as in the service and the tests, so the memory figure is the
// engine plus Mongoose plus this script.
//
// Run alone: `npx tsx bench/engine.bench.ts`; bench/index.ts imports `run`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { startEmbeddedMongo } from '../src/embedded-mongo';
import { checkDigit } from '../src/registry/id-number';
import type { Household, Member } from '../src/registry/household.types';
import {
  education, employment, gender, health, householdStatus, labor, monitoringRisk, povertyCause, relation, schooling,
} from '../src/registry/vocabulary';

const TARGETS = {
  insert10kSeconds: 3,
  findOneToPingRatio: 1.5,
  aggregate100kSeconds: 2,
  rssBytes100k: 1.5 * 1024 ** 3,
};

const FIRST_LOAD = 10_000;
const FULL_LOAD = 100_000;
const BATCH = 1_000;
const LATENCY_CALLS = 2_000;
const UPDATE_CALLS = 2_000;

// ------------------------------------------------------------------ the household model

const memberSchema = new mongoose.Schema(
  {
    name: String, gender: String, idNumber: String, birthDate: String, relation: String, ethnicity: String,
    education: String, schooling: String, health: String,
    disability: { category: String, grade: Number },
    labor: String, employment: String, monthsWorked: Number, homeSchooling: Boolean,
    insurance: { medical: Boolean, seriousIllness: Boolean, pension: Boolean },
    phone: String,
  },
  { _id: false },
);

const householdSchema = new mongoose.Schema(
  {
    code: { type: String, required: true },
    regionCode: String, group: String, status: String, exitYear: Number, identifiedAt: String, standard: String,
    dibao: Boolean, tekun: Boolean, tekunCare: String,
    causes: { main: String, others: [String] },
    income: { wage: Number, business: Number, transfer: Number, property: Number, productionCost: Number },
    perCapitaNetIncome: Number,
    housingSafe: Boolean, waterSafe: Boolean, wantsIndustry: Boolean, badCredit: Boolean,
    microloanBalance: Number, medicalOutOfPocket: Number, suddenHardship: Boolean,
    monitoring: {
      type: { type: String }, risks: [String], identifiedAt: String, riskEliminated: Boolean, eliminatedAt: String,
    },
    helpers: [{ _id: false, name: String, unit: String, level: String, since: String }],
    supports: [{ _id: false, category: String, since: String, until: String, amount: Number }],
    visits: [{ _id: false, date: String, visitor: String, level: String, notes: String }],
    phone: String,
    members: [memberSchema],
    version: { type: Number, default: 1 },
    createdBy: String,
    updatedBy: String,
  },
  { collection: 'bench_households', timestamps: true, autoIndex: false, autoCreate: false },
);
householdSchema.index({ code: 1 }, { unique: true });
householdSchema.index({ 'members.idNumber': 1 }, { unique: true });

// ------------------------------------------------------------------ deterministic data

function pick<T>(list: readonly T[], n: number): T {
  return list[n % list.length];
}

let personSeq = 0;

/** A valid-looking 18-digit 身份证 number, unique per call (GB 11643 check digit). */
function nextIdNumber(): string {
  const n = personSeq++;
  const birth = new Date(Date.UTC(1940, 0, 1) + Math.floor(n / 1000) * 86_400_000);
  const ymd = birth.toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `421122${ymd}${String(n % 1000).padStart(3, '0')}`;
  return first17 + checkDigit(first17);
}

function buildMember(h: number, k: number): Member {
  const idNumber = nextIdNumber();
  const birthDate = `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`;
  return {
    name: `成员${h}-${k}`, gender: pick(gender.codes, h + k), idNumber, birthDate,
    relation: k === 0 ? 'head' : pick(relation.codes, k), ethnicity: '汉族',
    education: pick(education.codes, h * 3 + k), schooling: pick(schooling.codes, h + 2 * k),
    health: pick(health.codes, h * 7 + k * 3), disability: k === 2 && h % 5 === 0 ? { category: 'physical', grade: 2 } : null,
    labor: pick(labor.codes, h + k), employment: pick(employment.codes, h * 5 + k), monthsWorked: (h + k) % 13,
    homeSchooling: false, insurance: { medical: true, seriousIllness: h % 3 !== 0, pension: k === 0 },
    phone: `138${String(h * 10 + k).padStart(8, '0')}`,
  };
}

function buildHousehold(h: number): Household & { version: number; createdBy: string } {
  const size = h % 2 === 0 ? 3 : 4; // 3.5 members on average, as the issue asks
  return {
    code: `421122001${String(h).padStart(9, '0')}`,
    regionCode: `421122${String(1 + (h % 20)).padStart(3, '0')}${String(1 + (h % 7)).padStart(3, '0')}`,
    group: `${1 + (h % 9)}组`, status: pick(householdStatus.codes, h), exitYear: h % 4 === 0 ? 2019 : null,
    identifiedAt: '2014-10-01', standard: 'national', dibao: h % 6 === 0, tekun: h % 17 === 0, tekunCare: null,
    causes: { main: pick(povertyCause.codes, h), others: [pick(povertyCause.codes, h + 3)] },
    income: { wage: (h % 50) * 400, business: (h % 7) * 300, transfer: 2400, property: 0, productionCost: 500 },
    perCapitaNetIncome: null, housingSafe: true, waterSafe: h % 23 !== 0, wantsIndustry: h % 2 === 0, badCredit: false,
    microloanBalance: (h % 5) * 10_000, medicalOutOfPocket: (h % 11) * 150, suddenHardship: h % 97 === 0,
    monitoring: h % 8 === 0
      ? { type: 'unstable', risks: [pick(monitoringRisk.codes, h)], identifiedAt: '2022-03-01', riskEliminated: false, eliminatedAt: null }
      : null,
    helpers: [{ name: '王伟', unit: '县农业农村局', level: 'county', since: '2021-01-01' }],
    supports: [{ category: 'education', since: '2023-09-01', until: null, amount: 3000 }],
    visits: [{ date: '2024-05-10', visitor: '李明', level: 'township', notes: '' }],
    phone: `139${String(h).padStart(8, '0')}`,
    members: Array.from({ length: size }, (_, k) => buildMember(h, k)),
    version: 1, createdBy: 'bench',
  };
}

// ------------------------------------------------------------------ measuring

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** CPU seconds this process used since `from`: engine plus Mongoose, whatever else the machine runs. */
function cpuSeconds(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
}

function stats(samples: number[]): { mean: number; p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { mean: samples.reduce((s, x) => s + x, 0) / samples.length, p50: at(0.5), p99: at(0.99) };
}

function verdict(met: boolean): string {
  return met ? 'met' : 'NOT met';
}

function mb(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(0)} MB`;
}

export async function run(): Promise<void> {
  const start = process.cpuUsage();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-bench-'));
  const engine = await startEmbeddedMongo({ dataDir, port: 0, host: '127.0.0.1' });
  const conn = await mongoose.createConnection(engine.uri, { dbName: 'bench' }).asPromise();
  try {
    const H = conn.model('BenchHousehold', householdSchema);
    await H.createCollection();
    await H.createIndexes();
    const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
    console.log(`engine bench: Node ${process.version}, ${os.cpus().length} CPUs, load average ${load}, engine and Mongoose in one process`);

    // 1. insertMany of 10k households through Mongoose, in batches of 1000.
    const first = Array.from({ length: FIRST_LOAD }, (_, h) => buildHousehold(h));
    const memberCount = first.reduce((s, x) => s + x.members.length, 0);
    const t0 = nowMs();
    const c0 = process.cpuUsage();
    for (let i = 0; i < first.length; i += BATCH) await H.insertMany(first.slice(i, i + BATCH));
    const insertSeconds = (nowMs() - t0) / 1000;
    console.log(`insertMany ${FIRST_LOAD} households (${memberCount} members, batches of ${BATCH}): ${insertSeconds.toFixed(2)} s (CPU ${cpuSeconds(c0).toFixed(2)} s) — target < ${TARGETS.insert10kSeconds} s: ${verdict(insertSeconds < TARGETS.insert10kSeconds)}`);
    console.log(`insert rate: ${(FIRST_LOAD / insertSeconds).toFixed(0)} households/s`);

    // 2. findOne by the unique code beside a bare ping, sequential round trips.
    const admin = conn.db!.admin();
    const codes = first.map((x) => x.code);
    for (let i = 0; i < 200; i++) {
      await admin.ping();
      await H.findOne({ code: codes[(i * 7919) % codes.length] }).lean();
    }
    // The three calls alternate so that each sees the same machine load.
    const pingMs: number[] = [];
    const findMs: number[] = [];
    const rawMs: number[] = [];
    for (let i = 0; i < LATENCY_CALLS; i++) {
      const code = codes[(i * 7919) % codes.length];
      let t = nowMs();
      await admin.ping();
      pingMs.push(nowMs() - t);
      t = nowMs();
      const doc = await H.findOne({ code }).lean();
      findMs.push(nowMs() - t);
      if (!doc) throw new Error('findOne by code found nothing: the bench data is wrong');
      t = nowMs();
      await H.collection.findOne({ code });
      rawMs.push(nowMs() - t);
    }
    const ping = stats(pingMs);
    const find = stats(findMs);
    const rawFind = stats(rawMs);
    const ratio = find.mean / ping.mean;
    const line = (s: { mean: number; p50: number; p99: number }) => `mean ${s.mean.toFixed(3)} ms, p50 ${s.p50.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms`;
    console.log(`ping round trip (${LATENCY_CALLS} calls): ${line(ping)}`);
    console.log(`findOne by code through Mongoose, lean (${LATENCY_CALLS} calls): ${line(find)}`);
    console.log(`findOne by code through the raw driver, for reference (${LATENCY_CALLS} calls): ${line(rawFind)}`);
    console.log(`Mongoose findOne / ping (means): ${ratio.toFixed(2)}× (p50s: ${(find.p50 / ping.p50).toFixed(2)}×; raw driver: ${(rawFind.mean / ping.mean).toFixed(2)}×) — target ≤ ${TARGETS.findOneToPingRatio}×: ${verdict(ratio <= TARGETS.findOneToPingRatio)}`);

    // 3. update by the unique index: $set + $inc, sequential.
    const t1 = nowMs();
    for (let i = 0; i < UPDATE_CALLS; i++) {
      const res = await H.updateOne(
        { code: codes[(i * 104_729) % codes.length] },
        { $set: { updatedBy: `bench-${i}`, 'income.wage': i }, $inc: { version: 1 } },
      );
      if (res.matchedCount !== 1) throw new Error('updateOne by code matched nothing: the bench data is wrong');
    }
    const updateSeconds = (nowMs() - t1) / 1000;
    console.log(`updateOne by code ($set + $inc, ${UPDATE_CALLS} sequential): ${(UPDATE_CALLS / updateSeconds).toFixed(0)} updates/s (${((updateSeconds * 1000) / UPDATE_CALLS).toFixed(3)} ms each)`);

    // 4. the next 10k through insertMany({ lean: true }), which skips Mongoose's hydration,
    // casting and validation: what is left is the driver and the engine, so the difference to
    // step 1 is Mongoose's own share.
    first.length = 0;
    const second = Array.from({ length: FIRST_LOAD }, (_, k) => {
      const now = new Date();
      return { ...buildHousehold(FIRST_LOAD + k), createdAt: now, updatedAt: now };
    });
    const t3 = nowMs();
    const c3 = process.cpuUsage();
    for (let i = 0; i < second.length; i += BATCH) await H.insertMany(second.slice(i, i + BATCH), { lean: true });
    const leanSeconds = (nowMs() - t3) / 1000;
    console.log(`insertMany ${FIRST_LOAD} households with lean: true (no Mongoose casting or validation): ${leanSeconds.toFixed(2)} s (CPU ${cpuSeconds(c3).toFixed(2)} s), ${(FIRST_LOAD / leanSeconds).toFixed(0)} households/s`);
    second.length = 0;

    // 5. load to 100k households; the raw collection skips Mongoose's casting, which is not
    // what is being measured here.
    const t2 = nowMs();
    for (let start = 2 * FIRST_LOAD; start < FULL_LOAD; start += BATCH) {
      const batch = Array.from({ length: BATCH }, (_, k) => {
        const now = new Date();
        return { ...buildHousehold(start + k), createdAt: now, updatedAt: now };
      });
      await H.collection.insertMany(batch);
    }
    const loadSeconds = (nowMs() - t2) / 1000;
    const total = await H.estimatedDocumentCount();
    console.log(`load to ${total} households (raw insertMany, batches of ${BATCH}): ${loadSeconds.toFixed(2)} s (${((FULL_LOAD - 2 * FIRST_LOAD) / loadSeconds).toFixed(0)} households/s)`);

    // 6. $unwind members + $group by health + $sort over 100k households.
    const pipeline = [
      { $unwind: '$members' },
      { $group: { _id: '$members.health', count: { $sum: 1 } } },
      { $sort: { count: -1 as const } },
    ];
    const aggSeconds: number[] = [];
    const aggCpu: number[] = [];
    let rows: Array<{ _id: string; count: number }> = [];
    for (let i = 0; i < 3; i++) {
      const t = nowMs();
      const c = process.cpuUsage();
      rows = await H.aggregate(pipeline);
      aggSeconds.push((nowMs() - t) / 1000);
      aggCpu.push(cpuSeconds(c));
    }
    const persons = rows.reduce((s, r) => s + r.count, 0);
    console.log(`aggregate $unwind members + $group by health + $sort over ${total} households (${persons} members): first ${aggSeconds[0].toFixed(2)} s, then ${aggSeconds.slice(1).map((s) => s.toFixed(2)).join(' s, ')} s (CPU ${aggCpu.map((s) => s.toFixed(2)).join(' s, ')} s) — target < ${TARGETS.aggregate100kSeconds} s: ${verdict(Math.max(...aggSeconds) < TARGETS.aggregate100kSeconds)}`);
    console.log(`aggregate result: ${rows.map((r) => `${r._id} ${r.count}`).join(', ')}`);

    // 7. memory after loading 100k households.
    // bench/index.ts runs this file with --expose-gc: collect first so the figure is what stays.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const mem = process.memoryUsage();
    console.log(`memory with ${total} households loaded${gc ? ' (after a full GC)' : ''}: RSS ${mb(mem.rss)}, heap used ${mb(mem.heapUsed)} of ${mb(mem.heapTotal)}, external ${mb(mem.external)} — target RSS < ${mb(TARGETS.rssBytes100k)}: ${verdict(mem.rss < TARGETS.rssBytes100k)}`);
    // The peak matters for issue 6 (< 1 GB for the whole service while importing or exporting).
    console.log(`peak RSS of this process: ${mb(process.resourceUsage().maxRSS * 1024)}; CPU of the whole run: ${cpuSeconds(start).toFixed(1)} s`);
  } finally {
    await conn.close();
    await engine.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
