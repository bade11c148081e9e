// Engine behaviour that needs its own engine instance (own data folder, short timeouts).
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../../src/embedded-mongo';

const { MongoClient } = mongoose.mongo;

async function catchError(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  return expect.fail('expected the operation to fail');
}

describe('embedded engine: own instance', function () {
  this.timeout(30_000);
  let dir: string;
  let engine: EmbeddedMongo | undefined;
  let client: InstanceType<typeof MongoClient> | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-unit-'));
  });

  afterEach(async () => {
    await client?.close(true);
    client = undefined;
    await engine?.close();
    engine = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function open(opts: { cursorTimeoutMs?: number; transactionLifetimeMs?: number } = {}) {
    engine = await startEmbeddedMongo({ dataDir: dir, port: 0, ...opts });
    client = await new MongoClient(engine.uri, { serverSelectionTimeoutMS: 2000 }).connect();
    return client.db('unit');
  }

  it('refuses a second engine on the same data folder while the first runs, and allows it after close', async () => {
    engine = await startEmbeddedMongo({ dataDir: dir, port: 0 });
    const err = await catchError(startEmbeddedMongo({ dataDir: dir, port: 0 }));
    expect(err.message).to.match(/already opened|locked/);
    await engine.close();
    engine = await startEmbeddedMongo({ dataDir: dir, port: 0 });
    expect(fs.readFileSync(path.join(dir, 'engine.lock'), 'utf8')).to.equal(String(process.pid));
  });

  it('takes over a lock file left by a process that no longer exists', async () => {
    fs.writeFileSync(path.join(dir, 'engine.lock'), '999999999');
    engine = await startEmbeddedMongo({ dataDir: dir, port: 0 });
    expect(fs.readFileSync(path.join(dir, 'engine.lock'), 'utf8')).to.equal(String(process.pid));
  });

  it('keeps documents and index specs across a restart', async () => {
    let db = await open();
    await db.collection('c').createIndex({ k: 1 }, { unique: true });
    await db.collection('c').insertMany([{ k: 1 }, { k: 2 }]);
    await client!.close();
    await engine!.close();
    db = await open();
    expect(await db.collection('c').countDocuments()).to.equal(2);
    const err = await catchError(db.collection('c').insertOne({ k: 1 }));
    expect(err.code).to.equal(11000);
  });

  it('expires an idle cursor after cursorTimeoutMs with CursorNotFound (43)', async () => {
    const db = await open({ cursorTimeoutMs: 200 });
    await db.collection('c').insertMany(Array.from({ length: 20 }, (_, i) => ({ i })));
    const cursor = db.collection('c').find({}, { batchSize: 5 });
    await cursor.next();
    await new Promise((r) => setTimeout(r, 600));
    const err = await catchError(cursor.toArray());
    expect(err.code).to.equal(43);
  });

  it('aborts a transaction older than transactionLifetimeMs: commit answers NoSuchTransaction (251)', async () => {
    const db = await open({ transactionLifetimeMs: 200 });
    await db.collection('c').insertOne({ k: 0 });
    const session = client!.startSession();
    session.startTransaction();
    await db.collection('c').insertOne({ k: 1 }, { session });
    await new Promise((r) => setTimeout(r, 600));
    const err = await catchError(session.commitTransaction());
    expect(err.code).to.equal(251);
    expect(err.errorLabels ?? [...(err.errorLabelSet ?? [])]).to.include('TransientTransactionError');
    await session.endSession();
    expect(await db.collection('c').countDocuments()).to.equal(1);
  });

  it('lets the first committer win and gives the second WriteConflict (112) with TransientTransactionError', async () => {
    const db = await open();
    const coll = db.collection<{ _id: number; n: number }>('c');
    await coll.insertOne({ _id: 1, n: 0 });
    const s1 = client!.startSession();
    const s2 = client!.startSession();
    s1.startTransaction();
    s2.startTransaction();
    await coll.updateOne({ _id: 1 }, { $inc: { n: 1 } }, { session: s1 });
    await coll.updateOne({ _id: 1 }, { $inc: { n: 10 } }, { session: s2 });
    expect((await coll.findOne({ _id: 1 }))!.n, 'uncommitted writes are invisible').to.equal(0);
    await s1.commitTransaction();
    await s1.commitTransaction(); // retried by the driver: idempotent
    const err = await catchError(s2.commitTransaction());
    expect(err.code).to.equal(112);
    expect(err.hasErrorLabel('TransientTransactionError')).to.equal(true);
    await s1.endSession();
    await s2.endSession();
    expect((await coll.findOne({ _id: 1 }))!.n).to.equal(1);
  });

  it('never lets an aggregation change stored documents', async () => {
    const db = await open();
    await db.collection('c').insertOne({ _id: 1 as any, a: { b: 1 }, list: [{ x: 1 }] });
    await db.collection('c').aggregate([{ $addFields: { 'a.c': 2 } }, { $unwind: '$list' }, { $set: { 'list.y': 3 } }]).toArray();
    expect(await db.collection('c').findOne({ _id: 1 as any })).to.deep.equal({ _id: 1, a: { b: 1 }, list: [{ x: 1 }] });
  });

  it('answers unknown commands with CommandNotFound (59) and unsupported ones with 115', async () => {
    const db = await open();
    const unknown = await catchError(db.command({ frobnicate: 1 }));
    expect(unknown.code).to.equal(59);
    const mapReduce = await catchError(db.command({ mapReduce: 'c', map: 'function(){}', reduce: 'function(){}', out: { inline: 1 } }));
    expect(mapReduce.code).to.equal(115);
    expect(mapReduce.message).to.match(/mapReduce/);
  });
});
