/**
 * Validates an import's households in worker threads, or in this thread when there are none.
 *
 * Why: the API's Joi rules cost about 0.2 ms of CPU per household (measured, 3.5 members each),
 * 20 s for a 100k-household county, as much as reading the file and writing the database
 * together. The checks need no database, so a worker does them while this thread reads the next
 * rows and writes the previous batch. Small files (tests, a village's ledger) stay in this thread:
 * starting a worker under tsx costs longer than validating a few hundred households.
 */
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { validateHousehold } from '../../registry/household.service';
import type { ValidateRequest, ValidateResponse } from './validate.worker';

export type Validation = ReturnType<typeof validateHousehold>;

interface Pending { resolve(out: Validation[]): void; reject(err: Error): void }

/** Worker threads a large import uses: every core but the one this thread (and the engine) needs. */
export function defaultValidationWorkers(): number {
  return Math.max(0, Math.min(4, os.availableParallelism() - 1));
}

export class ValidationPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly load = new Map<Worker, number>();
  private nextId = 1;
  private failure: Error | null = null;

  /** `size` worker threads (0: validate in this thread). Workers start in the background. */
  constructor(size: number) {
    const ext = path.extname(__filename);
    const file = path.join(__dirname, `validate.worker${ext}`);
    // Under tsx a worker needs the TypeScript loader too; compiled JavaScript needs nothing.
    const execArgv = ext === '.ts' ? ['--require', 'tsx/cjs'] : [];
    for (let i = 0; i < size; i++) {
      const worker = new Worker(file, { execArgv });
      this.workers.push(worker);
      this.load.set(worker, 0);
      worker.on('message', (m: ValidateResponse) => this.settle(worker, m));
      worker.on('error', (err) => this.failAll(err));
      worker.on('exit', (code) => { if (code !== 0) this.failAll(new Error(`validation worker exited with code ${code}`)); });
      // An idle pool must not keep the process alive (a CLI import exits when it is done).
      worker.unref();
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** The validation of each household, in order. */
  validate(households: unknown[]): Promise<Validation[]> {
    if (this.workers.length === 0 || households.length === 0) return Promise.resolve(households.map((h) => validateHousehold(h)));
    if (this.failure) return Promise.reject(this.failure);
    // Split across the workers so that one batch keeps all of them busy.
    const parts = Math.min(this.workers.length, Math.ceil(households.length / 50));
    const size = Math.ceil(households.length / parts);
    const chunks: Promise<Validation[]>[] = [];
    for (let i = 0; i < households.length; i += size) chunks.push(this.send(households.slice(i, i + size)));
    return Promise.all(chunks).then((results) => results.flat());
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private send(households: unknown[]): Promise<Validation[]> {
    const worker = this.workers.reduce((a, b) => ((this.load.get(a) ?? 0) <= (this.load.get(b) ?? 0) ? a : b));
    const id = this.nextId++;
    this.load.set(worker, (this.load.get(worker) ?? 0) + 1);
    worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, households } satisfies ValidateRequest);
    });
  }

  private settle(worker: Worker, m: ValidateResponse): void {
    const load = Math.max(0, (this.load.get(worker) ?? 1) - 1);
    this.load.set(worker, load);
    if (load === 0) worker.unref();
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.error !== undefined) p.reject(new Error(m.error));
    else p.resolve(m.results ?? []);
  }

  private failAll(err: Error): void {
    if (this.workers.length === 0) return; // closed: terminate() makes workers exit with code 1
    this.failure = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
