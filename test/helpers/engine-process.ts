// The standalone engine (`npm run db`'s entry point) as a child process, for tests that restart
// or kill -9 it and reopen its folder.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO_ROOT, 'src', 'embedded-mongo', 'cli.ts');

/** Starts the engine on `dir` and resolves with the child and the URI it printed. */
export function spawnEngineProcess(dir: string): Promise<{ child: ChildProcess; uri: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--data-dir', dir, '--port', '0'], {
      cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the engine printed no URI within 20 s:\n${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /mongodb:\/\/[^\s"']+/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, uri: m[0] });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the engine exited with ${code} before printing a URI:\n${out}`));
    });
  });
}
