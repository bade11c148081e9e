// Server-side cursors: the remaining results stay a lazy iterator (over stored documents or a
// mingo pipeline), and each batch is pulled on demand, so a large result is never built twice.
import { Long, calculateObjectSize } from 'bson';
import type { Doc } from './keys';
import { MongoCommandError } from './errors';
import { storedBytes } from './decoded';

/** Replies must stay under the 16 MB BSON limit with room for the envelope. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024;

/** A result: a stored document as its stored bytes (copied into the reply as they are), or an object. */
export type Result = Doc | Buffer;

export interface OpenCursor {
  id: Long;
  ns: string;
  iter: Iterator<Result>;
  lastUsed: number;
  sessionKey?: string;
  /** Keeps one document pulled past the size limit for the next batch. */
  pending?: Result;
}

export class CursorStore {
  private readonly cursors = new Map<string, OpenCursor>();
  private nextId = BigInt(Date.now()) * 1000n;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number) {
    // Idle cursors expire like mongod's cursorTimeoutMillis; the sweep runs often enough to be
    // accurate within a fraction of the timeout without costing anything measurable.
    this.timer = setInterval(() => this.sweep(), Math.max(50, Math.min(60_000, Math.floor(timeoutMs / 4))));
    this.timer.unref();
  }

  /** Pull the first batch; register the cursor only when results remain. */
  open(ns: string, iter: Iterator<Result>, batchSize: number | undefined, singleBatch: boolean, sessionKey?: string): { batch: Result[]; id: Long } {
    const cursor: OpenCursor = { id: Long.ZERO, ns, iter, lastUsed: Date.now(), sessionKey };
    const { batch, done } = this.pull(cursor, batchSize ?? 101);
    if (done || singleBatch) return { batch, id: Long.ZERO };
    this.nextId += 1n;
    cursor.id = Long.fromBigInt(this.nextId);
    this.cursors.set(cursor.id.toString(), cursor);
    return { batch, id: cursor.id };
  }

  getMore(id: Long, ns: string, batchSize: number | undefined): { batch: Result[]; id: Long } {
    const cursor = this.cursors.get(id.toString());
    if (!cursor || cursor.ns !== ns) throw new MongoCommandError('CursorNotFound', `cursor id ${id.toString()} not found`);
    cursor.lastUsed = Date.now();
    const { batch, done } = this.pull(cursor, batchSize && batchSize > 0 ? batchSize : Infinity);
    if (done) {
      this.cursors.delete(id.toString());
      return { batch, id: Long.ZERO };
    }
    return { batch, id: cursor.id };
  }

  kill(ids: Long[]): { killed: Long[]; notFound: Long[] } {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of ids) {
      const c = this.cursors.get(id.toString());
      if (c) {
        this.cursors.delete(id.toString());
        c.iter.return?.();
        killed.push(id);
      } else {
        notFound.push(id);
      }
    }
    return { killed, notFound };
  }

  killSession(sessionKey: string): void {
    for (const [k, c] of this.cursors) if (c.sessionKey === sessionKey) this.cursors.delete(k);
  }

  get size(): number {
    return this.cursors.size;
  }

  close(): void {
    clearInterval(this.timer);
    this.cursors.clear();
  }

  private sweep(): void {
    const cutoff = Date.now() - this.timeoutMs;
    for (const [k, c] of this.cursors) if (c.lastUsed < cutoff) this.cursors.delete(k);
  }

  private pull(cursor: OpenCursor, batchSize: number): { batch: Result[]; done: boolean } {
    const batch: Result[] = [];
    let bytes = 0;
    if (cursor.pending) {
      batch.push(cursor.pending);
      bytes += sizeOf(cursor.pending);
      cursor.pending = undefined;
    }
    while (batch.length < batchSize) {
      const r = cursor.iter.next();
      if (r.done) return { batch, done: true };
      const size = sizeOf(r.value);
      if (batch.length > 0 && bytes + size > MAX_BATCH_BYTES) {
        cursor.pending = r.value;
        return { batch, done: false };
      }
      bytes += size;
      batch.push(r.value);
    }
    // A cursor that has returned exactly its last document is not closed until the next pull
    // finds nothing, as in mongod; peek so that exact-fit results close immediately.
    const r = cursor.iter.next();
    if (r.done) return { batch, done: true };
    cursor.pending = r.value;
    return { batch, done: false };
  }
}

/** A stored document's size is its stored bytes' length; anything else is measured. */
function sizeOf(r: Result): number {
  if (Buffer.isBuffer(r)) return r.length;
  return storedBytes(r)?.length ?? calculateObjectSize(r);
}
