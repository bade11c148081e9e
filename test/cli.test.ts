import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildHousehold } from './helpers/builders';

/**
 * The command line as a county's IT staff use it: a real process on its own embedded database
 * (a fresh DATA_DIR), from loading regions to the summary sentence (DESIGN.md "Command line").
 */
const root = path.resolve(__dirname, '..');
const samples = path.join(root, 'imports', 'samples');

interface Outcome { code: number | null; stdout: string; stderr: string }

function cli(args: string[], env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(root, 'src', 'cli.ts'), ...args], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('command line (npm run cli)', function () {
  this.timeout(120_000);
  let dir: string;
  let env: Record<string, string>;

  before(function () {
    if (process.env.MONGODB_URI) this.skip(); // it opens its own embedded database
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fupin-cli-'));
    env = { DATA_DIR: path.join(dir, 'data'), MONGODB_URI: '' };
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints its usage with no command and exits 0', async () => {
    const out = await cli([], env);
    expect(out.code).to.equal(0);
    expect(out.stdout).to.contain('usage: npm run cli');
  });

  it('refuses an unknown command with a one-line reason and a non-zero exit', async () => {
    const out = await cli(['frobnicate'], env);
    expect(out.code).to.equal(1);
    expect(out.stderr.split('\n')[0]).to.equal('fupin-registry: unknown command "frobnicate"');
  });

  it('refuses a missing option and a malformed date', async () => {
    const missing = await cli(['run', '--as-of', '2024-06-30'], env);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.contain('--region is required');
    const file = path.join(dir, 'one.json');
    fs.writeFileSync(file, JSON.stringify(buildHousehold()));
    const badDate = await cli(['evaluate', '--file', file, '--as-of', '2024-02-30'], env);
    expect(badDate.code).to.equal(1);
    expect(badDate.stderr).to.contain('--as-of');
  });

  it('evaluates a household file into one determination per line', async () => {
    const file = path.join(dir, 'households.json');
    fs.writeFileSync(file, JSON.stringify([buildHousehold({ dibao: true }), buildHousehold({ status: 'exited' })]));
    const out = await cli(['evaluate', '--file', file, '--as-of', '2024-06-30'], env);
    expect(out.code, out.stderr).to.equal(0);
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).to.have.length(2);
    const basic = (d: { categories: { id: string; status: string }[] }) => d.categories.find((c) => c.id === 'basic-guarantee')?.status;
    expect(basic(lines[0])).to.equal('eligible');
    expect(basic(lines[1])).to.equal('not-eligible');
  });

  it('loads regions, imports the sample ledger, runs the county and prints the summary sentence', async () => {
    const regions = await cli(['regions', '--file', path.join(samples, 'regions.csv')], env);
    expect(regions.code, regions.stderr).to.equal(0);
    expect(regions.stdout).to.match(/^\d+ region\(s\) loaded, 0 row\(s\) refused/);

    const ledger = path.join(samples, 'county-ledger.national-member-detail.xlsx');
    const dry = await cli(['import', '--file', ledger, '--layout', 'national-member-detail', '--dry-run'], env);
    expect(dry.code, dry.stderr).to.equal(0);
    const imported = await cli(['import', '--file', ledger, '--layout', 'national-member-detail'], env);
    expect(imported.code, imported.stderr).to.equal(0);

    const county = fs.readFileSync(path.join(samples, 'regions.csv'), 'utf8').split('\n').map((l) => l.split(',')[0]).find((c) => /^\d{6}000000$/.test(c) && !/^\d{4}00000000$/.test(c));
    expect(county, 'a county in regions.csv').to.be.a('string');
    const run = await cli(['run', '--region', county!, '--as-of', '2024-06-30'], env);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/享受政策的贫困户共\d+户\d+人，其中享受兜底保障\d+户\d+人，/);

    const out = path.join(dir, 'ledger.xlsx');
    const exported = await cli(['export', '--region', county!, '--out', out], env);
    expect(exported.code, exported.stderr).to.equal(0);
    expect(fs.statSync(out).size).to.be.greaterThan(1000);

    const user = await cli(['user', 'add', '--username', 'zhang.cadre', '--role', 'village', '--region', '421199001001'], env);
    expect(user.code, user.stderr).to.equal(0);
    expect(user.stdout).to.match(/user zhang\.cadre \(village, 421199001001\) created; password: \S{12,}/);
  });
});
