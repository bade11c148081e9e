/**
 * `npm run demo` (issue 6): the service on a FRESH data folder with the sample county in it.
 *
 * 1. a new data folder under os.tmpdir() (or DEMO_DATA_DIR), the server started by server.ts;
 * 2. a demo admin and a county user, their passwords printed once;
 * 3. the sample regions (imports/samples/regions.csv) and the sample ledger imported;
 * 4. an eligibility run over the county, its summary sentence printed;
 * 5. where to look; it serves until Ctrl-C.
 *
 * Nothing here is for production: the passwords are random and shown on the terminal.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

const samples = path.resolve(__dirname, '../imports/samples');
const LEDGER = path.join(samples, 'county-ledger.national-member-detail.xlsx');
const REGIONS = path.join(samples, 'regions.csv');
const AS_OF = '2024-06-30';

function password(): string {
  return randomBytes(12).toString('base64url');
}

async function demo(): Promise<void> {
  if (!fs.existsSync(LEDGER) || !fs.existsSync(REGIONS)) throw new Error('imports/samples is missing: run `npm run samples` first');
  // The environment must be set before config.ts is loaded, hence the requires below.
  const dataDir = process.env.DEMO_DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fupin-demo-'));
  if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) throw new Error(`${dataDir} is not empty: the demo starts on a fresh data folder`);
  const adminPassword = password();
  Object.assign(process.env, {
    DATA_DIR: dataDir, MONGODB_URI: '', ADMIN_USERNAME: 'demo-admin', ADMIN_PASSWORD: adminPassword,
    PORT: process.env.PORT ?? '3000', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });

  /* eslint-disable @typescript-eslint/no-require-imports */
  const { main } = require('./server') as typeof import('./server');
  const { systemActor } = require('./users/actor') as typeof import('./users/actor');
  const { createUser } = require('./users/user.service') as typeof import('./users/user.service');
  const { loadRegionsFromRows } = require('./regions/region.service') as typeof import('./regions/region.service');
  const { readRegionRows } = require('./ledger/import/region-file') as typeof import('./ledger/import/region-file');
  const { importFile, describeJob } = require('./ledger/import/import.cli') as typeof import('./ledger/import/import.cli');
  const { importLimits } = require('./ledger/import/import.service') as typeof import('./ledger/import/import.service');
  const { regionLevel } = require('./regions/region-code') as typeof import('./regions/region-code');
  /* eslint-enable @typescript-eslint/no-require-imports */

  const { url } = await main();
  const rows = await readRegionRows(REGIONS, importLimits());
  const regions = await loadRegionsFromRows(rows, systemActor);
  const county = rows.map((r) => String(r[0])).find((code) => regionLevel(code) === 'county') as string;
  const countyPassword = password();
  await createUser(systemActor, { username: 'county-demo', password: countyPassword, role: 'county', regionCodes: [county] });
  const job = await importFile({ file: LEDGER, layout: 'national-member-detail', actor: systemActor });

  const runs = require('./eligibility/run.service') as typeof import('./eligibility/run.service'); // eslint-disable-line @typescript-eslint/no-require-imports
  const { id: runId } = await runs.createRun(systemActor, { regionCode: county, asOf: AS_OF });
  const { sentence } = await runs.executeRun(runId);

  const api = `${url}/api/v1`;
  const lines = [
    '',
    '演示 fupin-registry demo — a synthetic county, nobody in it exists',
    `  data folder   ${dataDir} (fresh; delete it when done)`,
    `  regions       ${regions.count} loaded from imports/samples/regions.csv`,
    `  ledger        ${describeJob(job)} (import ${job.id})`,
    `  eligibility   ${sentence}`,
    '',
    '  users (passwords shown once):',
    `    admin    demo-admin / ${adminPassword}`,
    `    county   county-demo / ${countyPassword}   (region ${county})`,
    '',
    '  where to look (log in first: POST /auth/login, then send Authorization: Bearer <token>):',
    `    curl -s -X POST ${api}/auth/login -H 'content-type: application/json' -d '{"username":"county-demo","password":"${countyPassword}"}'`,
    `    ${api}/households?limit=20`,
    `    ${api}/regions?parent=${county}`,
    `    ${api}/eligibility/runs/${runId}`,
    `    ${api}/eligibility/runs/${runId}/findings.xlsx`,
    `    ${api}/exports/ledger.xlsx?regionCode=${county}`,
    `    ${api}/imports/${job.id}`,
    `    ${url}/health`,
    '',
    'Serving until Ctrl-C.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

demo().catch((err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
