/**
 * `src/server.ts` as an operator runs it: a child process on a fresh data folder. CASES:
 * 1. it prints the URL it listens on, and serves /health and /ready;
 * 2. SIGTERM stops it with exit code 0 (in-flight requests are let finish: server.close);
 * 3. it closed the database cleanly: a second start on the same data folder works.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';

const root = path.join(__dirname, '..', '..');

function start(dataDir: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, MONGODB_URI: '', LOG_LEVEL: 'warn', ADMIN_PASSWORD: 'server-test-password-123' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (match) {
        clearInterval(timer);
        resolve({ child, url: match[1], output: () => out });
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`server exited early (${code}): ${out}`));
    });
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('server process', function () {
  this.timeout(120_000);
  let dataDir: string;
  let running: ChildProcess | undefined;

  before(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fupin-server-test-'));
  });

  after(() => {
    if (running && running.exitCode === null) running.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts, serves, and shuts down on SIGTERM with exit code 0', async () => {
    const { child, url } = await start(dataDir);
    running = child;
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/health`)).status).to.equal(200);
    expect((await fetch(`${url}/ready`)).status).to.equal(200);

    const exited = exitOf(child);
    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
    // Stopped accepting: nothing answers on the port any more.
    let refused = false;
    await fetch(`${url}/health`).catch(() => {
      refused = true;
    });
    expect(refused).to.equal(true);
  });

  it('released the data folder: a second start on it works', async () => {
    const { child, url } = await start(dataDir);
    running = child;
    expect((await fetch(`${url}/ready`)).status).to.equal(200);
    const exited = exitOf(child);
    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
  });
});
