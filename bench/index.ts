/**
 * `npm run bench`: runs every benchmark, each in its own Node process so that one benchmark's
 * peak memory and garbage do not colour the next one's figures. `npm run bench -- engine api`
 * runs the named ones only. Each benchmark prints its figures and its targets itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const benchmarks = ['engine', 'api', 'eligibility', 'ledger-import', 'ledger-export'];

const wanted = process.argv.slice(2);
const chosen = wanted.length > 0 ? benchmarks.filter((b) => wanted.includes(b)) : benchmarks;
let failed = 0;
for (const name of chosen) {
  const file = path.join(__dirname, `${name}.bench.ts`);
  console.log(`\n=== ${name} ===`);
  if (!existsSync(file)) {
    console.log(`missing: bench/${name}.bench.ts`);
    failed++;
    continue;
  }
  const started = Date.now();
  // The collector's flags the service and the CLI run with (package.json `start`, `cli`; README "Memory").
  const result = spawnSync(process.execPath, ['--single-threaded-gc', '--heap-growing-percent=200', '--require', 'tsx/cjs', '--expose-gc', file], { stdio: 'inherit', env: process.env });
  console.log(`(${name}: ${((Date.now() - started) / 1000).toFixed(1)} s wall, exit ${result.status})`);
  if (result.status !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
