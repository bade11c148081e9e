// Compatibility: restart durability and the data-folder lock (issue 2: "write-through to SQLite
// ... reload on start; a lock so two processes cannot open the same data folder (the second
// gets a clear error)"). Each test starts its own engine on its own temporary folder, so the
// whole file is skipped against a real MongoDB.
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../src/embedded-mongo';

import { spawnEngineProcess as spawnCli } from '../helpers/engine-process';

const householdSchema = new mongoose.Schema(
  {
    code: { type: String, unique: true },
    status: String,
    version: Number,
    identifiedAt: Date,
    income: { wage: Number },
    members: [{ _id: false, name: String, idNumber: String }],
  },
  { collection: 'compat_durable_households', autoIndex: false, autoCreate: false },
);
householdSchema.index({ 'members.idNumber': 1 }, { unique: true, sparse: true });

async function openEngine(dir: string): Promise<{ engine: EmbeddedMongo; conn: mongoose.Connection }> {
  const engine = await startEmbeddedMongo({ dataDir: dir, port: 0, host: '127.0.0.1' });
  const conn = await mongoose.createConnection(engine.uri, { dbName: 'compat_durable' }).asPromise();
  return { engine, conn };
}

async function closeEngine(h: { engine: EmbeddedMongo; conn: mongoose.Connection } | undefined): Promise<void> {
  if (!h) return;
  await h.conn.close();
  await h.engine.close();
}

describe('embedded-mongo compatibility: durability across restarts (own engine)', function () {
  this.timeout(60_000);
  let dir: string;
  let open: { engine: EmbeddedMongo; conn: mongoose.Connection } | undefined;

  beforeEach(function () {
    if (process.env.MONGODB_URI) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compat-durability-'));
  });

  afterEach(async () => {
    await closeEngine(open);
    open = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads back after a restart every document, value and change written before it', async () => {
    open = await openEngine(dir);
    let H = open.conn.model('CompatDurableHousehold', householdSchema);
    await H.createIndexes();
    await H.insertMany(Array.from({ length: 500 }, (_, i) => ({
      code: `D-${i}`, status: 'poor', version: 1, identifiedAt: new Date(Date.UTC(2014, 9, 1 + (i % 28))),
      income: { wage: i * 10 }, members: [{ name: `m${i}`, idNumber: `ID-${i}` }],
    })));
    await H.updateOne({ code: 'D-7' }, { $set: { status: 'exited' }, $inc: { version: 1 } });
    await H.deleteOne({ code: 'D-8' });
    await H.updateMany({ 'income.wage': { $gte: 4900 } }, { $set: { status: 'returned' } });
    await closeEngine(open);

    open = await openEngine(dir);
    H = open.conn.model('CompatDurableHousehold', householdSchema);
    expect(await H.countDocuments()).to.equal(499);
    const d7 = await H.findOne({ code: 'D-7' }).lean();
    expect(d7).to.include({ status: 'exited', version: 2 });
    expect(d7!.identifiedAt!.toISOString()).to.equal(new Date(Date.UTC(2014, 9, 8)).toISOString());
    expect(d7!.members).to.deep.equal([{ name: 'm7', idNumber: 'ID-7' }]);
    expect(await H.findOne({ code: 'D-8' })).to.equal(null);
    expect(await H.countDocuments({ status: 'returned' })).to.equal(10);
  });

  it('keeps indexes and their constraints across a restart', async () => {
    open = await openEngine(dir);
    let H = open.conn.model('CompatDurableHousehold', householdSchema);
    await H.createIndexes();
    await H.create({ code: 'K-1', members: [{ name: 'a', idNumber: 'X1' }] });
    await closeEngine(open);

    open = await openEngine(dir);
    H = open.conn.model('CompatDurableHousehold', householdSchema);
    const names = (await H.listIndexes()).map((ix: any) => ix.name).sort();
    expect(names).to.deep.equal(['_id_', 'code_1', 'members.idNumber_1']);
    let err: any;
    try {
      await H.create({ code: 'K-2', members: [{ name: 'b', idNumber: 'X1' }] });
    } catch (e) {
      err = e;
    }
    expect(err?.code, 'the multikey unique index still holds').to.equal(11000);
    err = undefined;
    try {
      await H.create({ code: 'K-1' });
    } catch (e) {
      err = e;
    }
    expect(err?.code, 'the unique code index still holds').to.equal(11000);
  });

  it('keeps a dropped collection and a dropped index dropped after a restart', async () => {
    open = await openEngine(dir);
    const db = open.conn.db!;
    await db.collection('gone').insertOne({ a: 1 });
    await db.collection('stays').insertOne({ a: 1 });
    await db.collection('stays').createIndex({ a: 1 });
    await db.collection('stays').dropIndex('a_1');
    await db.collection('gone').drop();
    await closeEngine(open);

    open = await openEngine(dir);
    const names = (await open.conn.db!.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).to.include('stays');
    expect(names).to.not.include('gone');
    const ix = (await open.conn.db!.collection('stays').listIndexes().toArray()).map((i) => i.name);
    expect(ix).to.deep.equal(['_id_']);
  });

  it('keeps a committed transaction and nothing of an aborted one after a restart', async () => {
    open = await openEngine(dir);
    let coll = open.conn.db!.collection('acc');
    await coll.insertMany([{ name: 'a', balance: 100 }, { name: 'b', balance: 0 }]);
    const client = open.conn.getClient();
    const s1 = client.startSession();
    s1.startTransaction();
    await coll.updateOne({ name: 'a' }, { $inc: { balance: -40 } }, { session: s1 });
    await coll.updateOne({ name: 'b' }, { $inc: { balance: 40 } }, { session: s1 });
    await s1.commitTransaction();
    await s1.endSession();
    const s2 = client.startSession();
    s2.startTransaction();
    await coll.insertOne({ name: 'c', balance: 5 }, { session: s2 });
    await s2.abortTransaction();
    await s2.endSession();
    await closeEngine(open);

    open = await openEngine(dir);
    coll = open.conn.db!.collection('acc');
    const rows = await coll.find({}, { sort: { name: 1 }, projection: { _id: 0 } }).toArray();
    expect(rows).to.deep.equal([{ name: 'a', balance: 60 }, { name: 'b', balance: 40 }]);
  });

  // Known engine gap (README "Known differences", test/embedded-mongo/FAILURES.md 1–2): numeric
  // BSON types are not kept exactly. Pending, not deleted, so the next fix turns it back on.
  it('keeps BSON types exactly across a restart', async () => {
    const { Long, Decimal128, Double, Int32, Binary, ObjectId } = mongoose.mongo;
    const oid = new ObjectId();
    open = await openEngine(dir);
    await open.conn.db!.collection('types').insertOne({
      _id: 'all' as any, i: new Int32(1), d: new Double(2), l: Long.fromString('9007199254740993'),
      dec: Decimal128.fromString('0.10'), bin: new Binary(Buffer.from([1, 2, 3])), oid, when: new Date(0), nul: null,
      nested: { arr: [1, 'two', { three: 3 }] },
    });
    await closeEngine(open);

    open = await openEngine(dir);
    const doc = await open.conn.db!.collection('types').findOne({ _id: 'all' as any }, { promoteValues: false, promoteLongs: false });
    expect(doc!.i).to.be.instanceOf(Int32);
    expect(doc!.d).to.be.instanceOf(Double);
    expect(doc!.l.toString()).to.equal('9007199254740993');
    expect(doc!.dec.toString()).to.equal('0.10');
    expect(Buffer.from(doc!.bin.buffer).equals(Buffer.from([1, 2, 3]))).to.equal(true);
    expect(doc!.oid.toHexString()).to.equal(oid.toHexString());
    expect(doc!.nul).to.equal(null);
    expect(Object.keys(doc!)).to.deep.equal(['_id', 'i', 'd', 'l', 'dec', 'bin', 'oid', 'when', 'nul', 'nested']);
  });
});

describe('embedded-mongo compatibility: data folder lock (own engine)', function () {
  this.timeout(60_000);
  let dir: string;
  let first: EmbeddedMongo | undefined;
  let child: ChildProcess | undefined;

  beforeEach(function () {
    if (process.env.MONGODB_URI) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compat-lock-'));
  });

  afterEach(async () => {
    await first?.close();
    first = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    child = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function expectRefused(): Promise<void> {
    let err: any;
    let second: EmbeddedMongo | undefined;
    try {
      second = await startEmbeddedMongo({ dataDir: dir, port: 0, host: '127.0.0.1' });
    } catch (e) {
      err = e;
    }
    await second?.close();
    expect(err, 'a second engine on the same folder must be refused').to.be.instanceOf(Error);
    // MongoDB's own wording names the lock and the folder: "Unable to lock the lock file:
    // <dbpath>/mongod.lock ... Another mongod instance is already running on the <dbpath> directory".
    expect(err.message).to.match(/lock|in use|already/i);
    expect(err.message).to.include(path.basename(dir));
  }

  it('refuses a second engine in the same process on the same folder with a clear error', async () => {
    first = await startEmbeddedMongo({ dataDir: dir, port: 0, host: '127.0.0.1' });
    await expectRefused();
  });

  it('refuses an engine on a folder that another process holds', async () => {
    const started = await spawnCli(dir);
    child = started.child;
    await expectRefused();
  });

  it('lets the folder be opened again once the first engine has closed', async () => {
    first = await startEmbeddedMongo({ dataDir: dir, port: 0, host: '127.0.0.1' });
    await first.close();
    first = await startEmbeddedMongo({ dataDir: dir, port: 0, host: '127.0.0.1' });
    expect(first.port).to.be.greaterThan(0);
  });

  it('leaves the first engine working after refusing the second', async () => {
    first = await startEmbeddedMongo({ dataDir: dir, port: 0, host: '127.0.0.1' });
    await expectRefused();
    const client = new mongoose.mongo.MongoClient(first.uri);
    try {
      await client.connect();
      await client.db('compat').collection('x').insertOne({ ok: true });
      expect(await client.db('compat').collection('x').countDocuments()).to.equal(1);
    } finally {
      await client.close();
    }
  });
});
