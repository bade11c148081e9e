// Compatibility: cursors (issue 2, "batches, getMore, killCursors, idle cursors expire"). The
// first batch is 101 documents unless batchSize says otherwise; getMore continues; a killed or
// expired cursor answers CursorNotFound (43).
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mongoose from 'mongoose';
import { dropCollectionsStartingWith, resetDatabase } from '../helpers/db';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../src/embedded-mongo';


const TOTAL = 12_000;

const rowSchema = new mongoose.Schema(
  { i: Number, region: String, payload: String },
  { collection: 'compat_cursor_rows', autoIndex: false, autoCreate: false },
);
const Row = mongoose.model('CompatCursorRow', rowSchema);

function db() {
  return mongoose.connection.db!;
}

describe('embedded-mongo compatibility: cursors', function () {
  this.timeout(120_000);

  before(async () => {
    await resetDatabase();
    await dropCollectionsStartingWith('compat_cursor_');
    const coll = db().collection('compat_cursor_rows');
    for (let start = 0; start < TOTAL; start += 2000) {
      await coll.insertMany(Array.from({ length: 2000 }, (_, k) => ({
        i: start + k, region: `R${(start + k) % 10}`, payload: 'x'.repeat(200),
      })));
    }
  });

  after(async () => {
    await dropCollectionsStartingWith('compat_cursor_');
  });

  it(`streams all ${TOTAL} documents in order through a Mongoose cursor`, async () => {
    let expected = 0;
    for await (const doc of Row.find().sort({ i: 1 }).lean().cursor()) {
      expect(doc.i).to.equal(expected);
      expected += 1;
    }
    expect(expected).to.equal(TOTAL);
  });

  it('streams every document exactly once through the raw driver with a small batchSize', async () => {
    const seen = new Uint8Array(TOTAL);
    let n = 0;
    for await (const doc of db().collection('compat_cursor_rows').find({}, { batchSize: 25, projection: { i: 1 } })) {
      expect(seen[doc.i], `document ${doc.i} seen twice`).to.equal(0);
      seen[doc.i] = 1;
      n += 1;
    }
    expect(n).to.equal(TOTAL);
  });

  it('streams a filtered and sorted subset through a Mongoose cursor with batchSize', async () => {
    let n = 0;
    let last = Infinity;
    for await (const doc of Row.find({ region: 'R3' }).sort({ i: -1 }).batchSize(64).lean().cursor()) {
      expect(doc.region).to.equal('R3');
      expect(doc.i).to.be.lessThan(last);
      last = doc.i!;
      n += 1;
    }
    expect(n).to.equal(TOTAL / 10);
  });

  it('answers 101 documents in the first batch by default, then getMore batches, then cursor id 0', async () => {
    const first = await db().command({ find: 'compat_cursor_rows', filter: { region: 'R1' } });
    expect(first.cursor.firstBatch).to.have.length(101);
    expect(first.cursor.ns).to.match(/\.compat_cursor_rows$/);
    const id = first.cursor.id;
    expect(id.toString()).to.not.equal('0');
    let total = 101;
    let cursorId = id;
    while (cursorId.toString() !== '0') {
      const more = await db().command({ getMore: cursorId, collection: 'compat_cursor_rows', batchSize: 500 });
      expect(more.cursor.nextBatch.length).to.be.at.most(500);
      total += more.cursor.nextBatch.length;
      cursorId = more.cursor.id;
    }
    expect(total).to.equal(TOTAL / 10);
  });

  it('honours limit across batches and closes the cursor when the limit is reached', async () => {
    const first = await db().command({ find: 'compat_cursor_rows', filter: {}, sort: { i: 1 }, limit: 60, batchSize: 25 });
    expect(first.cursor.firstBatch).to.have.length(25);
    const second = await db().command({ getMore: first.cursor.id, collection: 'compat_cursor_rows', batchSize: 25 });
    expect(second.cursor.nextBatch).to.have.length(25);
    const third = await db().command({ getMore: first.cursor.id, collection: 'compat_cursor_rows', batchSize: 25 });
    expect(third.cursor.nextBatch.map((d: any) => d.i)).to.deep.equal(Array.from({ length: 10 }, (_, k) => 50 + k));
    expect(third.cursor.id.toString()).to.equal('0');
  });

  it('returns a single batch and no open cursor for singleBatch', async () => {
    const res = await db().command({ find: 'compat_cursor_rows', filter: {}, limit: 1, singleBatch: true });
    expect(res.cursor.firstBatch).to.have.length(1);
    expect(res.cursor.id.toString()).to.equal('0');
  });

  it('kills a cursor with killCursors; a later getMore answers CursorNotFound (43)', async () => {
    const first = await db().command({ find: 'compat_cursor_rows', filter: {}, batchSize: 10 });
    const id = first.cursor.id;
    const killed = await db().command({ killCursors: 'compat_cursor_rows', cursors: [id] });
    expect(killed.cursorsKilled.map(String)).to.deep.equal([String(id)]);
    expect(killed.cursorsNotFound).to.deep.equal([]);
    try {
      await db().command({ getMore: id, collection: 'compat_cursor_rows' });
      expect.fail('getMore on a killed cursor must fail');
    } catch (err: any) {
      expect(err.code).to.equal(43);
      expect(err.codeName).to.equal('CursorNotFound');
    }
    const again = await db().command({ killCursors: 'compat_cursor_rows', cursors: [id] });
    expect(again.cursorsNotFound.map(String)).to.deep.equal([String(id)]);
  });

  it('kills the server cursor when the driver closes a cursor early', async () => {
    const cursor = db().collection('compat_cursor_rows').find({}, { batchSize: 10 });
    await cursor.next();
    const id = cursor.id!;
    expect(id.toString()).to.not.equal('0');
    await cursor.close();
    try {
      await db().command({ getMore: id, collection: 'compat_cursor_rows' });
      expect.fail('getMore on a closed cursor must fail');
    } catch (err: any) {
      expect(err.code).to.equal(43);
    }
  });

  it('keeps a cursor over documents deleted after the first batch consistent (no crash, no duplicates)', async () => {
    const coll = db().collection('compat_cursor_volatile');
    await coll.insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: i as any, i })));
    const cursor = coll.find({}, { batchSize: 50, sort: { _id: 1 } });
    const seen = new Set<number>();
    let k = 0;
    for await (const doc of cursor) {
      expect(seen.has(doc.i)).to.equal(false);
      seen.add(doc.i);
      if (k++ === 0) await coll.deleteMany({ i: { $gte: 250 } });
    }
    expect(seen.size).to.be.within(250, 300);
  });
});

describe('embedded-mongo compatibility: cursor expiry (own engine)', function () {
  this.timeout(60_000);
  let dir: string;
  let engine: EmbeddedMongo | undefined;
  let client: InstanceType<typeof mongoose.mongo.MongoClient> | undefined;

  before(async function () {
    if (process.env.MONGODB_URI) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compat-cursor-expiry-'));
    engine = await startEmbeddedMongo({ dataDir: dir, port: 0, host: '127.0.0.1', cursorTimeoutMs: 300 });
    client = new mongoose.mongo.MongoClient(engine.uri);
    await client.connect();
    await client.db('compat').collection('rows').insertMany(Array.from({ length: 100 }, (_, i) => ({ i })));
  });

  after(async () => {
    await client?.close();
    await engine?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers CursorNotFound (43) for a cursor left idle past cursorTimeoutMs', async () => {
    const cdb = client!.db('compat');
    const first = await cdb.command({ find: 'rows', filter: {}, batchSize: 2 });
    await sleep(1500);
    try {
      await cdb.command({ getMore: first.cursor.id, collection: 'rows' });
      expect.fail('getMore on an expired cursor must fail');
    } catch (err: any) {
      expect(err.code).to.equal(43);
      expect(err.codeName).to.equal('CursorNotFound');
    }
  });

  it('fails the driver cursor with CursorNotFound after it expired', async () => {
    const cursor = client!.db('compat').collection('rows').find({}, { batchSize: 2 });
    await cursor.next();
    await cursor.next();
    await sleep(1500);
    try {
      await cursor.next();
      expect.fail('the expired cursor must fail');
    } catch (err: any) {
      expect(err.code).to.equal(43);
    } finally {
      await cursor.close().catch(() => undefined);
    }
  });

  it('keeps a cursor alive while it is being used', async () => {
    const cdb = client!.db('compat');
    // 20 getMores 50 ms apart: the cursor lives well past the 300 ms timeout, but is never
    // idle that long.
    const first = await cdb.command({ find: 'rows', filter: {}, batchSize: 5 });
    let got = first.cursor.firstBatch.length;
    let id = first.cursor.id;
    while (id.toString() !== '0') {
      await sleep(50);
      const more = await cdb.command({ getMore: id, collection: 'rows', batchSize: 5 });
      got += more.cursor.nextBatch.length;
      id = more.cursor.id;
    }
    expect(got).to.equal(100);
  });
});
