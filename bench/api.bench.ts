// API benchmark (issue 3, "How it is checked"): requests/s and p50/p99 latency over loopback for
// `GET /api/v1/households/:code` and a filtered list page, at 32 connections, against the
// embedded engine holding 100k households. The engine and the HTTP server share this process,
// as in `npm start`; the load generator (autocannon) runs in a child process so it does not
// compete for the server's event loop. Request logs are turned down to `warn` for the run
// (LOG_LEVEL overrides).
//
// Run alone: `npx tsx bench/api.bench.ts`; bench/index.ts runs it in its own process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import mongoose from 'mongoose';
import { createApp } from '../src/app';
import { connect } from '../src/db/connect';
import { logger } from '../src/http/request-logger';
import { HouseholdModel } from '../src/registry/household.model';
import { checkDigit } from '../src/registry/id-number';
import { systemActor } from '../src/users/actor';
import { createUser, login } from '../src/users/user.service';

const HOUSEHOLDS = Number(process.env.BENCH_HOUSEHOLDS ?? 100_000);
const VILLAGES = 100;
const BATCH = 2_000;
const CONNECTIONS = 32;
const DURATION_S = 10;
const TARGETS = { singleReadRps: 1_500, singleReadP99Ms: 50 };

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

// The load generator, run in a child Node process (plain CommonJS: it does not load tsx). autocannon
// only aggregates percentiles on a main thread, hence a process rather than a worker thread.
const LOADER_SOURCE = `
const autocannon = require(process.env.AUTOCANNON_PATH);
let input = '';
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => {
const { url, token, paths, connections, duration } = JSON.parse(input);
let i = 0;
autocannon({
  url,
  connections,
  duration,
  headers: { authorization: 'Bearer ' + token },
  requests: [{ setupRequest: (req) => { req.path = paths[i++ % paths.length]; return req; } }],
}, (err, result) => {
  if (err) { process.stdout.write(JSON.stringify({ error: String(err) })); return; }
  process.stdout.write(JSON.stringify({
    rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99,
    requests: result.requests.total, non2xx: result.non2xx, errors: result.errors,
  }));
});
});
`;

function load(url: string, token: string, paths: string[]): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', LOADER_SOURCE], {
      env: { ...process.env, AUTOCANNON_PATH: require.resolve('autocannon') },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    // The request paths go through stdin: thousands of them would not fit in an environment variable.
    child.stdin.end(JSON.stringify({ url, token, paths, connections: CONNECTIONS, duration: DURATION_S }));
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => {
      try {
        const msg = JSON.parse(out) as LoadResult & { error?: string };
        if (msg.error) reject(new Error(msg.error));
        else resolve(msg);
      } catch {
        reject(new Error(`load generator exited ${status} without a result`));
      }
    });
  });
}

function villageCode(v: number): string {
  // 10 townships × 10 villages under county 421122.
  return `421122${String(Math.floor(v / 10) + 1).padStart(3, '0')}${String((v % 10) + 1).padStart(3, '0')}`;
}

export async function run(): Promise<void> {
  // One log line per request would measure the terminal; warnings and errors still show.
  logger.level = process.env.LOG_LEVEL ?? 'warn';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fupin-api-bench-'));
  const db = await connect({ dataDir });
  const app = createApp();
  await Promise.all(mongoose.modelNames().map((n) => mongoose.model(n).init()));

  // ---- 100k valid households, 3 members each, distinct valid ID numbers
  let person = 0;
  const nextId = (): string => {
    const n = person++;
    const day = new Date(Date.UTC(1940, 0, 1) + (n % 25_000) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
    const first17 = `421122${day}${String(Math.floor(n / 25_000)).padStart(3, '0')}`;
    return first17 + checkDigit(first17);
  };
  const member = (relation: string, idNumber: string) => ({
    _id: new mongoose.Types.ObjectId(),
    name: relation === 'head' ? '张三' : '李四', gender: Number(idNumber[16]) % 2 ? 'male' : 'female', idNumber, personId: idNumber,
    birthDate: `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`, relation, ethnicity: '汉族',
    education: 'primary', schooling: 'none', health: 'healthy', disability: null, labor: 'ordinary', employment: 'none',
    monthsWorked: 0, homeSchooling: false, insurance: { medical: true, seriousIllness: true, pension: true }, phone: null,
  });
  const codes: string[] = [];
  const loadStart = Date.now();
  for (let start = 0; start < HOUSEHOLDS; start += BATCH) {
    const docs = [];
    for (let i = start; i < Math.min(start + BATCH, HOUSEHOLDS); i++) {
      const regionCode = villageCode(i % VILLAGES);
      const code = `${regionCode}${String(i).padStart(6, '0')}`;
      codes.push(code);
      docs.push({
        code, regionCode, group: '一组', status: i % 3 === 0 ? 'poor' : 'exited-supported', exitYear: null, identifiedAt: '2014-10-01',
        standard: 'national', dibao: i % 5 === 0, tekun: false, tekunCare: null, causes: { main: 'illness', others: [] },
        income: { wage: 12000, business: 3000, transfer: 2400, property: 0, productionCost: 1500 }, perCapitaNetIncome: null,
        housingSafe: true, waterSafe: true, wantsIndustry: true, badCredit: false, microloanBalance: 0, medicalOutOfPocket: 0,
        suddenHardship: false, monitoring: null, helpers: [], supports: [], visits: [], phone: null,
        members: [member('head', nextId()), member('spouse', nextId()), member('son', nextId())],
        version: 1, createdBy: 'bench', updatedBy: 'bench', createdAt: new Date(), updatedAt: new Date(),
      });
    }
    // lean: the documents are already in stored form; Mongoose's per-document casting is not what we measure.
    await HouseholdModel.insertMany(docs, { lean: true });
  }
  const loadSeconds = (Date.now() - loadStart) / 1000;
  console.log(`loaded ${HOUSEHOLDS.toLocaleString('en')} households (${person.toLocaleString('en')} members) in ${loadSeconds.toFixed(1)} s`);

  // ---- server and a county user's token
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const password = 'bench-password-0123456789';
  await createUser(systemActor, { username: 'bench-county', password, role: 'county', regionCodes: ['421122000000'] });
  const { token } = await login({ username: 'bench-county', password }, '127.0.0.1');

  // Sanity: both requests answer 200 before we measure them.
  for (const p of [`/api/v1/households/${codes[0]}`, `/api/v1/households?regionCode=${villageCode(0)}&status=poor&limit=20`]) {
    const res = await fetch(url + p, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`${p} answered ${res.status}: ${await res.text()}`);
  }

  // Baseline: the same server answering without the database or authentication.
  const health = await load(url, token, ['/health']);
  const shuffled = [...codes].sort(() => Math.random() - 0.5).slice(0, 5_000);
  const single = await load(url, token, shuffled.map((c) => `/api/v1/households/${c}`));
  const listPaths = Array.from({ length: VILLAGES }, (_, v) => `/api/v1/households?regionCode=${villageCode(v)}&status=poor&page=2&limit=20`);
  const list = await load(url, token, listPaths);

  const row = (name: string, r: LoadResult) =>
    `${name.padEnd(44)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   (${r.requests} requests, ${r.non2xx} non-2xx, ${r.errors} errors)`;
  const [load1] = os.loadavg();
  console.log(`\n${CONNECTIONS} connections, ${DURATION_S} s each, loopback, embedded engine in-process; ${os.cpus().length} CPUs, load average ${load1.toFixed(1)} at the end`);
  console.log(row('GET /health (baseline: no database, no auth)', health));
  console.log(row('GET /api/v1/households/:code', single));
  console.log(row('GET /api/v1/households?regionCode&status (p.2)', list));
  const okRps = single.rps >= TARGETS.singleReadRps;
  const okP99 = single.p99 < TARGETS.singleReadP99Ms;
  console.log(`\ntarget single read: ≥ ${TARGETS.singleReadRps} req/s ${okRps ? 'MET' : 'MISSED'}; p99 < ${TARGETS.singleReadP99Ms} ms ${okP99 ? 'MET' : 'MISSED'}`);

  // The load generator has gone, but an overloaded server may still be answering its last
  // requests: let them finish before the database closes under them.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await db.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

if (require.main === module) {
  run().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
