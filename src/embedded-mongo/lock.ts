// One engine per data folder: a lock file holding the owner's pid. A lock whose process is
// gone (kill -9) is stale and taken over; a live one makes the second opener fail clearly.
import fs from 'node:fs';
import path from 'node:path';

const openInThisProcess = new Set<string>();

export interface DataDirLock { release(): void }

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockDataDir(dataDir: string): DataDirLock {
  const dir = fs.realpathSync(dataDir);
  const file = path.join(dir, 'engine.lock');
  if (openInThisProcess.has(dir)) {
    throw new Error(`Data folder ${dir} is already opened by another embedded MongoDB engine in this process (pid ${process.pid}).`);
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      openInThisProcess.add(dir);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          openInThisProcess.delete(dir);
          try {
            if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new Error(`Data folder ${dir} is locked by running process ${owner} (lock file ${file}); stop that process or use another --data-dir.`);
      }
      // Stale: left by a process that died (or by this pid after a crash of a previous run).
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not lock data folder ${dir}: another process raced for ${file}.`);
}
