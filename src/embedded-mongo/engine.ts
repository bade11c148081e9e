// The engine's state: the catalog of databases and collections, the write path (memory first,
// then one SQLite transaction per command, rolled back in memory if SQLite fails), and
// transactions.
import { Collection } from './collection';
import { compilePaths, pickFields, pickPaths } from './bson-raw';
import { filterFields } from './query';
import { decode, decodeOnce, remember } from './decoded';
import { CursorStore } from './cursors';
import { MongoCommandError } from './errors';
import { Index, type IndexSpec, duplicateKeyError } from './indexes';
import { type Doc, pathValues } from './keys';
import { type Session, SessionStore, TRANSIENT, type Txn, noSuchTransaction, sessionKey } from './sessions';
import { Storage } from './storage';

export interface EngineOptions {
  cursorTimeoutMs: number;
  transactionLifetimeMs: number;
}

/** A document as the engine stores it (its BSON bytes) with its decoded form. */
/** A document to store: its bytes and what they decode to (`partial`: only `_id` and indexed fields, `Collection.insertView`). */
export interface Stored { raw: Buffer; doc: Doc; partial?: boolean }

interface Change { coll: Collection; id: string; before: Buffer | undefined; after: Buffer | undefined }

/** The writes of one command outside a transaction, persisted together when it finishes. */
export class WriteCtx {
  readonly changes: Change[] = [];
  /** The command's write concern asked for the journal (j: true): fsync before acknowledging. */
  journal = false;
  constructor(readonly engine: Engine, readonly txn?: Txn) {}
}

export class Engine {
  private readonly dbs = new Map<string, Map<string, Collection>>();
  private readonly byCid = new Map<number, Collection>();
  readonly cursors: CursorStore;
  readonly sessions = new SessionStore();
  private seq = 0;
  private activeTxns = new Set<Txn>();
  private readonly txnTimer: NodeJS.Timeout;

  private readonly ttlTimer: NodeJS.Timeout;

  constructor(readonly storage: Storage, readonly opts: EngineOptions) {
    this.cursors = new CursorStore(opts.cursorTimeoutMs);
    this.txnTimer = setInterval(() => this.expireTransactions(), Math.max(50, Math.min(1000, Math.floor(opts.transactionLifetimeMs / 4))));
    this.txnTimer.unref();
    // mongod's TTL monitor wakes every 60 s (ttlMonitorSleepSecs); expired documents may live
    // that long past their time, as with MongoDB.
    this.ttlTimer = setInterval(() => this.expireTtl(), 60_000);
    this.ttlTimer.unref();
    this.load();
  }

  /** Delete documents whose TTL index date (the earliest, for an array) is past expireAfterSeconds. */
  expireTtl(now = Date.now()): number {
    let removed = 0;
    for (const c of this.byCid.values()) {
      for (const index of c.indexes) {
        const seconds = index.spec.expireAfterSeconds;
        if (typeof seconds !== 'number' || index.fields.length !== 1) continue;
        const ctx = new WriteCtx(this);
        const path = index.fields[0].split('.');
        const top = new Set([path[0]]);
        // A copy of the ids: the walk deletes from the set it walks.
        for (const id of [...c.docs.keys()]) {
          const raw = c.docs.get(id, false);
          if (!raw) continue;
          const doc = pickFields(raw, top);
          const dates = pathValues(doc, path).filter((v): v is Date => v instanceof Date);
          if (dates.length === 0) continue;
          const earliest = Math.min(...dates.map((d) => d.getTime()));
          if (earliest + seconds * 1000 <= now) this.put(ctx, c, id, undefined);
        }
        this.commitWrites(ctx);
        removed += ctx.changes.length;
      }
    }
    return removed;
  }

  private load(): void {
    for (const c of this.storage.loadCollections()) this.register(new Collection(c.cid, c.db, c.name, c.options, this.storage));
    for (const i of this.storage.loadIndexes()) this.byCid.get(i.cid)?.indexes.push(new Index(i.spec));
    // Only the ids stay in memory; the bytes are read once here to build the indexes.
    for (const { cid, id, raw } of this.storage.iterateDocuments()) {
      this.byCid.get(cid)?.load(id, raw);
    }
  }

  close(): void {
    clearInterval(this.txnTimer);
    clearInterval(this.ttlTimer);
    this.cursors.close();
    this.storage.close();
  }

  private register(c: Collection): void {
    let db = this.dbs.get(c.db);
    if (!db) this.dbs.set(c.db, (db = new Map()));
    db.set(c.name, c);
    this.byCid.set(c.cid, c);
  }

  // ---- catalog ----

  collection(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.get(name);
  }

  ensureCollection(db: string, name: string, options: Doc = {}): Collection {
    const existing = this.collection(db, name);
    if (existing) return existing;
    validateCollectionName(name);
    const cid = this.storage.createCollection(db, name, options);
    const c = new Collection(cid, db, name, options, this.storage);
    this.register(c);
    return c;
  }

  collections(db: string): Collection[] {
    return [...(this.dbs.get(db)?.values() ?? [])];
  }

  databases(): string[] {
    return [...this.dbs.keys()].filter((d) => (this.dbs.get(d)?.size ?? 0) > 0);
  }

  dropCollection(c: Collection): void {
    this.storage.dropCollections([c.cid]);
    this.dbs.get(c.db)?.delete(c.name);
    this.byCid.delete(c.cid);
    for (const t of this.activeTxns) t.overlay.delete(c);
  }

  dropDatabase(db: string): void {
    const colls = this.collections(db);
    this.storage.dropCollections(colls.map((c) => c.cid));
    for (const c of colls) {
      this.byCid.delete(c.cid);
      for (const t of this.activeTxns) t.overlay.delete(c);
    }
    this.dbs.delete(db);
  }

  renameCollection(c: Collection, db: string, name: string): void {
    validateCollectionName(name);
    this.storage.renameCollection(c.cid, db, name);
    this.dbs.get(c.db)?.delete(c.name);
    c.db = db;
    c.name = name;
    this.register(c);
  }

  /** Build the index over existing documents; fails with E11000 if they violate uniqueness. */
  createIndex(c: Collection, spec: IndexSpec): void {
    const index = new Index(spec);
    // Decode only the fields the new index reads (its key and partial filter), when known.
    const fields = new Set(index.fields);
    const plan = !spec.partialFilterExpression || filterFields(spec.partialFilterExpression, fields) ? compilePaths(fields) : null;
    for (const [id, raw] of c.docs) {
      const doc = plan ? pickPaths(raw, plan) : decodeOnce(raw);
      if (index.unique) {
        const values = index.conflict(id, doc);
        if (values) throw duplicateKeyError(c.ns, index, values);
      }
      index.add(id, doc);
    }
    this.storage.putIndex(c.cid, spec);
    c.indexes.push(index);
  }

  dropIndex(c: Collection, name: string): void {
    const i = c.indexes.findIndex((x) => x.name === name);
    if (i < 0) throw new MongoCommandError('IndexNotFound', `index not found with name [${name}]`);
    this.storage.dropIndex(c.cid, name);
    c.indexes.splice(i, 1);
  }

  // ---- reads (see the transaction's own writes) ----

  getDoc(c: Collection, id: string, txn?: Txn): Doc | undefined {
    const ov = txn?.overlay.get(c);
    if (ov && ov.has(id)) {
      const raw = ov.get(id);
      return raw ? decode(raw) : undefined;
    }
    return c.get(id);
  }

  /**
   * The stored bytes of the candidate documents for a filter: an index-narrowed subset
   * (`planned`) or every document.
   */
  candidates(c: Collection, filter: Doc | undefined, txn?: Txn): { planned: boolean; raws: Iterable<Buffer> } {
    const ov = txn?.overlay.get(c);
    const planned = c.plan(filter);
    return { planned: planned !== null, raws: candidateBytes(c, planned, ov) };
  }

  /** One document's stored bytes as this transaction sees it; undefined when there is none. */
  currentBytes(c: Collection, id: string, txn?: Txn): Buffer | undefined {
    const ov = txn?.overlay.get(c);
    if (ov && ov.has(id)) return ov.get(id) ?? undefined;
    return c.docs.get(id);
  }

  /** Every document of a collection as this transaction sees it, decoded (a $lookup's other side). */
  *documents(c: Collection, txn?: Txn): Generator<Doc> {
    for (const raw of this.candidates(c, undefined, txn).raws) yield decodeOnce(raw);
  }

  // ---- writes ----

  /**
   * Replace, insert (insert=true) or delete (after=undefined) one document. Outside a
   * transaction the change is applied to memory at once (later writes of the same command see
   * it) and recorded for `commitWrites`; inside one it goes to the session's overlay.
   */
  put(ctx: WriteCtx, c: Collection, id: string, stored: Stored | undefined, insert = false): void {
    const txn = ctx.txn;
    if (!txn) {
      if (stored) c.checkUnique(id, stored.doc, insert);
      const before = c.apply(id, stored?.raw, stored?.doc, stored?.partial);
      ctx.changes.push({ coll: c, id, before, after: stored?.raw });
      return;
    }
    if (stored?.partial) throw new Error('a transaction stores whole decoded documents');
    const after = stored?.doc;
    const last = c.lastWrite.get(id);
    if (last !== undefined && last > txn.startSeq) {
      this.abortTxn(txn, 'write conflict');
      throw writeConflict();
    }
    let ov = txn.overlay.get(c);
    if (!ov) txn.overlay.set(c, (ov = new Map()));
    if (after) {
      const overlay = ov;
      c.checkUnique(id, after, insert && !overlay.has(id), (other) => overlay.has(other));
      if (insert && overlay.get(id)) throw duplicateKeyError(c.ns, new Index({ key: { _id: 1 }, name: '_id_' }), [after._id]);
      for (const index of c.indexes) {
        if (!index.unique) continue;
        const mine = index.keysOf(after);
        if (!mine) continue;
        for (const [otherId, other] of overlay) {
          if (!other || otherId === id) continue;
          const theirs = index.keysOf(decode(other));
          const hit = theirs && mine.keys.findIndex((k) => theirs.keys.includes(k));
          if (hit !== null && hit !== undefined && hit >= 0) throw duplicateKeyError(c.ns, index, mine.values[hit]);
        }
      }
    }
    if (stored) remember(stored.raw, stored.doc);
    ov.set(id, stored ? stored.raw : null);
  }

  /** Make a command's writes durable (one SQLite transaction), or undo them in memory. */
  commitWrites(ctx: WriteCtx): void {
    if (ctx.txn || ctx.changes.length === 0) return;
    const seq = ++this.seq;
    const writes = ctx.changes.map((ch) => ({ cid: ch.coll.cid, id: ch.id, body: ch.after ?? null }));
    try {
      this.storage.writeDocuments(writes, ctx.journal);
    } catch (err) {
      rollBack(ctx.changes);
      ctx.changes.length = 0;
      throw new MongoCommandError('InternalError', `storage failure, nothing was written: ${(err as Error).message}`);
    }
    settle(ctx.changes);
    if (this.activeTxns.size > 0) for (const ch of ctx.changes) ch.coll.lastWrite.set(ch.id, seq);
  }

  // ---- transactions ----

  /**
   * The transaction a command runs in, from its lsid/txnNumber/autocommit/startTransaction
   * fields (the driver's protocol, see ENGINE-NOTES.md), or undefined for a plain command.
   */
  transactionFor(cmd: Doc): { session?: Session; txn?: Txn } {
    const key = sessionKey(cmd.lsid);
    const session = key ? this.sessions.get(key) : undefined;
    if (cmd.autocommit !== false || !session) return { session };
    const txnNumber = Number(cmd.txnNumber);
    if (!Number.isFinite(txnNumber)) throw new MongoCommandError('BadValue', "'autocommit' requires 'txnNumber'");
    const current = session.txn;
    if (cmd.startTransaction === true) {
      if (current && current.txnNumber > txnNumber) {
        throw new MongoCommandError('TransactionTooOld', `txnNumber ${txnNumber} is less than last txnNumber ${current.txnNumber} seen in this session`);
      }
      if (current && current.txnNumber === txnNumber) {
        throw new MongoCommandError('BadValue', `Transaction with { txnNumber: ${txnNumber} } has already been started`);
      }
      if (current && current.state === 'active') this.abortTxn(current, 'superseded by a new transaction');
      const txn: Txn = { txnNumber, startSeq: this.seq, startedAt: Date.now(), state: 'active', overlay: new Map() };
      session.txn = txn;
      this.activeTxns.add(txn);
      return { session, txn };
    }
    if (!current || current.txnNumber !== txnNumber) throw noSuchTransaction(txnNumber);
    this.checkExpiry(current);
    if (current.state === 'aborted') throw noSuchTransaction(txnNumber, current.abortReason);
    if (current.state === 'committed') {
      throw new MongoCommandError('TransactionCommitted', `Transaction with { txnNumber: ${txnNumber} } has been committed`);
    }
    return { session, txn: current };
  }

  commitTransaction(session: Session, txnNumber: number, journal = false): void {
    const txn = session.txn;
    if (!txn || txn.txnNumber !== txnNumber) throw noSuchTransaction(txnNumber);
    this.checkExpiry(txn);
    if (txn.state === 'committed') return; // the driver retries commits: idempotent
    if (txn.state === 'aborted') throw noSuchTransaction(txnNumber, txn.abortReason);
    // First committer wins: anything this transaction wrote that changed since it began is a conflict.
    for (const [c, ov] of txn.overlay) {
      for (const id of ov.keys()) {
        const last = c.lastWrite.get(id);
        if (last !== undefined && last > txn.startSeq) {
          this.abortTxn(txn, 'write conflict at commit');
          throw writeConflict();
        }
      }
    }
    const ctx = new WriteCtx(this);
    ctx.journal = journal;
    try {
      for (const [c, ov] of txn.overlay) {
        if (!this.byCid.has(c.cid)) continue; // dropped meanwhile
        for (const [id, after] of ov) this.put(ctx, c, id, after ? { raw: after, doc: decode(after) } : undefined);
      }
    } catch (err) {
      rollBack(ctx.changes);
      this.abortTxn(txn, 'conflict at commit');
      // Another commit took a unique key this transaction relied on: retryable, like mongod's
      // write conflict on the index entry.
      if (err instanceof MongoCommandError && err.code === 11000) throw writeConflict();
      throw err;
    }
    this.commitWrites(ctx);
    txn.state = 'committed';
    txn.overlay.clear();
    this.finishTxn(txn);
  }

  /** Abort after a failed statement (mongod aborts the transaction on any error inside it). */
  abortActive(txn: Txn, reason: string): void {
    this.abortTxn(txn, reason);
  }

  abortTransaction(session: Session, txnNumber: number): void {
    const txn = session.txn;
    if (!txn || txn.txnNumber !== txnNumber) throw noSuchTransaction(txnNumber);
    if (txn.state === 'committed') throw new MongoCommandError('TransactionCommitted', `Transaction with { txnNumber: ${txnNumber} } has been committed`);
    if (txn.state === 'aborted') throw noSuchTransaction(txnNumber, txn.abortReason);
    this.abortTxn(txn, 'aborted by the client');
  }

  endSession(key: string): void {
    const s = this.sessions.end(key);
    if (s?.txn && s.txn.state === 'active') this.abortTxn(s.txn, 'session ended');
    this.cursors.killSession(key);
  }

  private abortTxn(txn: Txn, reason: string): void {
    if (txn.state !== 'active') return;
    txn.state = 'aborted';
    txn.abortReason = reason;
    txn.overlay.clear();
    this.finishTxn(txn);
  }

  private finishTxn(txn: Txn): void {
    this.activeTxns.delete(txn);
    // Write sequences only matter while some transaction is open; dropping them keeps memory flat.
    if (this.activeTxns.size === 0) for (const c of this.byCid.values()) c.lastWrite.clear();
  }

  private checkExpiry(txn: Txn): void {
    if (txn.state === 'active' && Date.now() - txn.startedAt > this.opts.transactionLifetimeMs) {
      this.abortTxn(txn, 'transaction exceeded its lifetime (transactionLifetimeLimitSeconds)');
    }
  }

  private expireTransactions(): void {
    for (const t of [...this.activeTxns]) this.checkExpiry(t);
    // Sessions the client never ended expire like mongod's (logicalSessionTimeoutMinutes: 30).
    const cutoff = Date.now() - 30 * 60_000;
    for (const [key, s] of this.sessions.sessions) if (s.lastUse < cutoff) this.endSession(key);
  }

  /** Visible for tests: how many transactions hold pending writes. */
  get openTransactions(): number {
    return this.activeTxns.size;
  }
}

/**
 * Undo a command's in-memory writes, newest first, after its SQLite write failed or before it
 * was made: memory then agrees with SQLite again, so the restored bytes need no pinning.
 */
function rollBack(changes: Change[]): void {
  for (let i = changes.length - 1; i >= 0; i--) changes[i].coll.apply(changes[i].id, changes[i].before);
  settle(changes);
}

/** SQLite holds what memory shows: let the document LRU evict the written bytes. */
function settle(changes: Change[]): void {
  let last: Collection | undefined;
  for (const ch of changes) {
    if (ch.coll === last) continue;
    last = ch.coll;
    last.docs.settle();
  }
}

function* candidateBytes(c: Collection, planned: Iterable<string> | null, ov: Map<string, Buffer | null> | undefined): Generator<Buffer> {
  if (planned) {
    for (const id of planned) {
      if (ov && ov.has(id)) continue;
      const raw = c.docs.get(id);
      if (raw) yield raw;
    }
  } else {
    for (const [id, raw] of c.docs) {
      if (ov && ov.has(id)) continue;
      yield raw;
    }
  }
  if (ov) for (const raw of ov.values()) if (raw) yield raw;
}

function writeConflict(): MongoCommandError {
  return new MongoCommandError('WriteConflict', 'Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.', { labels: TRANSIENT });
}

function validateCollectionName(name: string): void {
  if (!name || name.includes('$') || name.includes('\0') || name.startsWith('system.')) {
    throw new MongoCommandError('InvalidNamespace', `Invalid collection name: ${name}`);
  }
}

