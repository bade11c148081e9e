// Documents live in SQLite behind a bounded LRU (doc-store.ts, issues 5 and 6). These tests use a
// cache far smaller than the data, so that every read path meets evicted documents.
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { deserialize, Long } from 'bson';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '../../../src/embedded-mongo/commands/dispatch';
import { Engine } from '../../../src/embedded-mongo/engine';
import { Storage } from '../../../src/embedded-mongo/storage';
import { DocumentCache } from '../../../src/embedded-mongo/doc-store';

const CACHE_BYTES = 16 * 1024;
const PAD = 'x'.repeat(1000);
// More than one page of a full scan (512 rows, doc-store.ts), and ~40 times the cache.
const COUNT = 700;

type Row = { _id: number; n: number; code: string; pad: string; big?: string };

describe('embedded engine: documents in SQLite behind a bounded cache', () => {
  let dir: string;
  let storage: Storage;
  let engine: Engine;
  const conn = { id: 1, remote: 'test' };
  const run = (cmd: Record<string, unknown>) => runCommand(engine, { ...cmd, $db: 'store' }, conn);
  const open = () => {
    storage = new Storage(dir, CACHE_BYTES);
    engine = new Engine(storage, { cursorTimeoutMs: 600_000, transactionLifetimeMs: 60_000 });
  };
  const findAll = (filter: Record<string, unknown> = {}): Row[] => {
    const cursor = run({ find: 'h', filter, batchSize: 100_000 }).cursor as { firstBatch: Buffer[] };
    return cursor.firstBatch.map((raw) => deserialize(raw) as Row);
  };
  const insertAll = () => {
    const documents = Array.from({ length: COUNT }, (_, n) => ({ _id: n, n, code: `c${n}`, pad: PAD }));
    expect(run({ insert: 'h', documents }).n).to.equal(COUNT);
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-store-'));
    open();
    expect(run({ createIndexes: 'h', indexes: [{ key: { code: 1 }, name: 'code_1', unique: true }] }).ok).to.equal(1);
  });

  afterEach(() => {
    engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads every document back, in natural order, after the cache evicted most of them', () => {
    insertAll();
    expect(storage.cache.size).to.be.at.most(CACHE_BYTES);
    expect(findAll().map((d) => d.n)).to.deep.equal(Array.from({ length: COUNT }, (_, n) => n));
    // Point reads through the unique index and through _id, of documents long evicted.
    for (const n of [0, 1, 150, COUNT - 1]) {
      expect(findAll({ code: `c${n}` }).map((d) => d._id)).to.deep.equal([n]);
      expect(findAll({ _id: n }).map((d) => d.code)).to.deep.equal([`c${n}`]);
    }
    expect(run({ count: 'h' }).n).to.equal(COUNT);
    expect(storage.cache.size).to.be.at.most(CACHE_BYTES);
  });

  it('updates every document in one command larger than the cache, then reads the new versions', () => {
    insertAll();
    const res = run({ update: 'h', updates: [{ q: {}, u: { $inc: { n: 1000 } }, multi: true }] });
    expect(res.nModified).to.equal(COUNT);
    const after = findAll();
    expect(after.map((d) => d.n)).to.deep.equal(Array.from({ length: COUNT }, (_, n) => n + 1000));
    expect(after.every((d) => d.pad === PAD)).to.equal(true);
    expect(storage.cache.size).to.be.at.most(CACHE_BYTES);
  });

  it('sees its own earlier writes within one command even after the cache evicted them', () => {
    insertAll();
    // Statements 2..61 push far more than the cache's budget through it before statement 62
    // reads document 0 again, before the command's SQLite transaction has been written.
    const updates = [
      { q: { _id: 0 }, u: { $inc: { n: 1 } } },
      ...Array.from({ length: 60 }, (_, k) => ({ q: { _id: k + 1 }, u: { $set: { touched: true } } })),
      { q: { _id: 0 }, u: { $inc: { n: 1 } } },
    ];
    expect(run({ update: 'h', updates }).nModified).to.equal(62);
    expect(findAll({ _id: 0 }).map((d) => d.n)).to.deep.equal([2]);
  });

  it('lets a cursor walk on while documents are updated, deleted and inserted between batches', () => {
    insertAll();
    const first = run({ find: 'h', filter: {}, batchSize: 10 }).cursor as { id: Long; firstBatch: Buffer[] };
    const seen = first.firstBatch.map((raw) => deserialize(raw) as Row);
    // Not yet visited: 100 (on the page the scan holds) and 600 (on the next one) change, 601
    // goes away; a new document joins at the end.
    run({ update: 'h', updates: [{ q: { _id: 100 }, u: { $set: { n: -100 } } }, { q: { _id: 600 }, u: { $set: { n: -600 } } }] });
    run({ delete: 'h', deletes: [{ q: { _id: 601 }, limit: 1 }] });
    run({ insert: 'h', documents: [{ _id: 'late', n: 9999, code: 'late', pad: PAD }] });
    let id = first.id;
    while (!id.isZero()) {
      const next = run({ getMore: id, collection: 'h', batchSize: 37 }).cursor as { id: Long; nextBatch: Buffer[] };
      for (const raw of next.nextBatch) seen.push(deserialize(raw) as Row);
      id = next.id;
    }
    const expected = Array.from({ length: COUNT }, (_, n) => (n === 100 || n === 600 ? -n : n)).filter((n) => n !== 601);
    expect(seen.map((d) => d.n)).to.deep.equal([...expected, 9999]);
  });

  it('keeps only ids after a restart, rebuilds the indexes and keeps the natural order', () => {
    insertAll();
    run({ update: 'h', updates: [{ q: { _id: 5 }, u: { $set: { code: 'renamed' } } }] });
    run({ delete: 'h', deletes: [{ q: { _id: 7 }, limit: 1 }] });
    engine.close();
    open();
    expect(storage.cache.size).to.equal(0);
    expect(run({ count: 'h' }).n).to.equal(COUNT - 1);
    const order = Array.from({ length: COUNT }, (_, n) => n).filter((n) => n !== 7);
    expect(findAll().map((d) => d._id)).to.deep.equal(order);
    expect(findAll({ code: 'renamed' }).map((d) => d._id)).to.deep.equal([5]);
    expect(findAll({ code: 'c5' })).to.deep.equal([]);
    // The unique index was rebuilt from the stored bytes: a duplicate is refused.
    const dup = run({ insert: 'h', documents: [{ _id: 'dup', code: 'c9' }] }) as { writeErrors?: { code: number }[] };
    expect(dup.writeErrors?.[0].code).to.equal(11000);
  });

  it('rolls memory back when SQLite refuses a write, also for documents the cache had evicted', () => {
    insertAll();
    // A real SQLite failure: a trigger that aborts any write of a document over 5000 bytes.
    const side = new Database(path.join(dir, 'engine.sqlite'));
    side.exec(`
      CREATE TRIGGER refuse_big_insert BEFORE INSERT ON documents WHEN length(NEW.body) > 5000 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
      CREATE TRIGGER refuse_big_update BEFORE UPDATE ON documents WHEN length(NEW.body) > 5000 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
    `);
    side.close();
    const big = 'y'.repeat(6000);
    const failed = run({ update: 'h', updates: [{ q: { _id: { $in: [0, 1, 2] } }, u: { $set: { big } }, multi: true }] });
    expect(failed.ok).to.equal(0);
    const inserted = run({ insert: 'h', documents: [{ _id: 'small', n: -1, code: 'small' }, { _id: 'big', n: -2, code: 'big', big }] });
    expect(inserted.ok).to.equal(0);
    // Nothing of either command is visible, in memory or after a restart.
    const check = () => {
      expect(findAll({ _id: { $in: [0, 1, 2] } }).map((d) => d.big)).to.deep.equal([undefined, undefined, undefined]);
      expect(findAll({ code: { $in: ['small', 'big'] } })).to.deep.equal([]);
      expect(run({ count: 'h' }).n).to.equal(COUNT);
    };
    check();
    engine.close();
    open();
    check();
  });

  it('leaves inserted documents out of the cache once SQLite holds them, and caches what is read and updated', () => {
    run({ insert: 'h', documents: [{ _id: 1, n: 1, code: 'c1', pad: 'a' }, { _id: 2, n: 2, code: 'c2', pad: 'b' }] });
    expect(storage.cache.size).to.equal(0);
    expect(findAll({ _id: 1 }).map((d) => d.pad)).to.deep.equal(['a']);
    const afterRead = storage.cache.size;
    expect(afterRead).to.be.greaterThan(0);
    run({ update: 'h', updates: [{ q: { _id: 2 }, u: { $set: { pad: 'c' } } }] });
    expect(storage.cache.size).to.be.greaterThan(afterRead);
    expect(findAll().map((d) => d.pad)).to.deep.equal(['a', 'c']);
  });
});

describe('embedded engine: the document cache', () => {
  it('stays within its byte budget and evicts the least recently used first', () => {
    const cache = new DocumentCache(10_000);
    const raw = (n: number) => Buffer.alloc(1000, n);
    for (let n = 0; n < 10; n++) cache.set(`k${n}`, raw(n));
    expect(cache.size).to.equal(10_000);
    expect(cache.get('k0')?.[0]).to.equal(0); // k0 is now the most recent
    cache.set('k10', raw(10));
    expect(cache.size).to.be.at.most(10_000);
    expect(cache.get('k0')?.[0]).to.equal(0);
    expect(cache.get('k1')).to.equal(undefined);
    expect(cache.get('k10')?.[0]).to.equal(10);
    // Replacing an entry counts its new length only; a value over the budget is not kept.
    cache.set('k10', Buffer.alloc(10, 1));
    cache.set('huge', Buffer.alloc(20_000));
    expect(cache.get('huge')).to.equal(undefined);
    expect(cache.size).to.be.at.most(10_000);
  });
});
