/**
 * Evaluates households in worker threads (one Engine each, PERF-NOTES.md) or, with no workers,
 * in this thread: batches of an export, and the villages of a run, which a worker reads and
 * stores itself. Work may complete out of order; a run's results and summary do not depend on
 * the order.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  evaluateBatch, evaluateCountBatch, type CountBatchOutput, type VillageOutput, type VillageRequest, type WorkItem, type WorkOutput, type WorkRequest, type WorkResponse,
} from './evaluate.worker';
import type { LoadedRules } from './ruleset.loader';

interface Pending { resolve(out: WorkResponse): void; reject(err: Error): void }

export class EvaluationPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly load = new Map<Worker, number>();
  private nextId = 1;

  private constructor(private readonly rules: LoadedRules) {}

  /**
   * `size` worker threads (0: evaluate in this thread); `databaseUri` lets them open their own
   * connection for `runVillage`.
   */
  static async start(size: number, rules: LoadedRules, options: { databaseUri?: string } = {}): Promise<EvaluationPool> {
    const pool = new EvaluationPool(rules);
    const ext = path.extname(__filename);
    const file = path.join(__dirname, `evaluate.worker${ext}`);
    // Under tsx a worker needs the TypeScript loader too; compiled JavaScript needs nothing.
    const execArgv = ext === '.ts' ? ['--require', 'tsx/cjs'] : [];
    const started: Promise<void>[] = [];
    for (let i = 0; i < size; i++) {
      const worker = new Worker(file, { workerData: { rulesDir: rules.dir, hash: rules.hash, databaseUri: options.databaseUri }, execArgv });
      pool.workers.push(worker);
      pool.load.set(worker, 0);
      worker.on('message', (m: WorkResponse) => pool.settle(worker, m));
      worker.on('error', (err) => pool.failAll(err));
      started.push(new Promise((resolve, reject) => {
        worker.once('online', () => resolve());
        worker.once('error', reject);
      }));
    }
    await Promise.all(started);
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Determinations with their findings, in the order of `items`. */
  async evaluate(asOf: string, items: WorkItem[]): Promise<WorkOutput[]> {
    if (this.workers.length === 0) return this.evaluateHere(() => evaluateBatch(this.rules, asOf, items));
    return (await this.post({ id: this.nextId++, asOf, items })).results!;
  }

  /** A village of a run, read, evaluated and stored by a worker; needs workers and a database address. */
  async runVillage(asOf: string, village: VillageRequest): Promise<VillageOutput> {
    if (this.workers.length === 0) throw new Error('a village is run in a worker thread');
    return (await this.post({ id: this.nextId++, asOf, items: [], village })).village!;
  }

  /** Asks each worker to close its connection and end; one that has not ended in 5 s is terminated. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve) => {
      const timer = setTimeout(() => void w.terminate(), 5000);
      w.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      w.postMessage('close');
    })));
    this.workers.length = 0;
  }

  /** A batch of a ledger export: which households pass `category` (null: all) and their 汇总 counters. */
  async evaluateForCount(asOf: string, items: WorkItem[], regionPrefix: string, category: string | null): Promise<CountBatchOutput> {
    if (this.workers.length === 0) return this.evaluateHere(() => evaluateCountBatch(this.rules, asOf, items, regionPrefix, category));
    return (await this.post({ id: this.nextId++, asOf, items, count: { regionPrefix, category } })).count!;
  }

  /** With no workers, batches still run one after another (rule.engine.ts: one run per Engine at a time). */
  private hereTail: Promise<unknown> = Promise.resolve();

  private evaluateHere<T>(work: () => Promise<T>): Promise<T> {
    const result = this.hereTail.then(work, work);
    this.hereTail = result.catch(() => undefined);
    return result;
  }

  private post(request: WorkRequest): Promise<WorkResponse> {
    // The least busy worker takes the batch.
    const worker = this.workers.reduce((a, b) => (this.load.get(a)! <= this.load.get(b)! ? a : b));
    this.load.set(worker, this.load.get(worker)! + 1);
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      worker.postMessage(request);
    });
  }

  private settle(worker: Worker, m: WorkResponse): void {
    this.load.set(worker, Math.max(0, this.load.get(worker)! - 1));
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.error !== undefined) p.reject(new Error(m.error));
    else p.resolve(m);
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
