// Compatibility: create, read, update, delete and value round trips through Mongoose and the
// raw driver (issue 2, "CRUD"). Runs on the shared connection from test/setup.ts, so it also
// runs against a real MongoDB when MONGODB_URI is set.
import { expect } from 'chai';
import mongoose from 'mongoose';
import { dropCollectionsStartingWith, resetDatabase, testDatabaseUri } from '../helpers/db';

const itemSchema = new mongoose.Schema(
  {
    code: { type: String, required: true },
    name: String,
    count: { type: Number, default: 0 },
    price: Number,
    active: Boolean,
    bornAt: Date,
    tags: [String],
    address: { province: String, county: String, village: String },
    blob: Buffer,
    owner: mongoose.Schema.Types.ObjectId,
  },
  { collection: 'compat_crud_items', autoIndex: false, autoCreate: false },
);
const Item = mongoose.model('CompatCrudItem', itemSchema);

function rawCollection(name: string) {
  const db = mongoose.connection.db;
  if (!db) throw new Error('the shared connection is not open');
  return db.collection(name);
}

describe('embedded-mongo compatibility: CRUD', () => {
  beforeEach(async () => {
    await resetDatabase();
    await dropCollectionsStartingWith('compat_crud_');
  });

  it('reads back a created document with every value type intact', async () => {
    const owner = new mongoose.Types.ObjectId();
    const bornAt = new Date('1949-12-31T00:00:00.000Z');
    const created = await Item.create({
      code: 'A-1', name: '张三', count: 3, price: 12.5, active: true, bornAt,
      tags: ['贫困', 'illness'], address: { province: '湖北省', county: '浠水县', village: '三组' },
      blob: Buffer.from([0, 1, 2, 255]), owner,
    });

    const found = await Item.findById(created._id).lean();
    expect(found).to.not.equal(null);
    expect(found!.code).to.equal('A-1');
    expect(found!.name).to.equal('张三');
    expect(found!.count).to.equal(3);
    expect(found!.price).to.equal(12.5);
    expect(found!.active).to.equal(true);
    expect(found!.bornAt).to.be.instanceOf(Date);
    expect(found!.bornAt!.toISOString()).to.equal(bornAt.toISOString());
    expect(found!.tags).to.deep.equal(['贫困', 'illness']);
    expect(found!.address).to.deep.equal({ province: '湖北省', county: '浠水县', village: '三组' });
    // lean() hands back the driver's value: a BSON Binary, whose bytes are in .buffer.
    const blob = found!.blob as unknown as { buffer: Uint8Array };
    expect(Buffer.from(blob.buffer).equals(Buffer.from([0, 1, 2, 255]))).to.equal(true);
    expect(String(found!.owner)).to.equal(String(owner));
  });

  it('stores _id as the first field even when the driver appends it last', async () => {
    const coll = rawCollection('compat_crud_raw');
    await coll.insertOne({ z: 1, a: 2 });
    const found = await coll.findOne({ z: 1 });
    expect(Object.keys(found!)).to.deep.equal(['_id', 'z', 'a']);
  });

  it('keeps BSON numeric types apart: int32, double, Long and Decimal128', async () => {
    const coll = rawCollection('compat_crud_raw');
    const { Long, Decimal128, Double, Int32 } = mongoose.mongo;
    await coll.insertOne({
      _id: 'types' as any,
      i: new Int32(7), d: new Double(1.5), big: Long.fromString('9007199254740993'),
      dec: Decimal128.fromString('1234.5600'),
    });
    const found = await coll.findOne({ _id: 'types' as any }, { promoteLongs: false, promoteValues: false });
    expect(found!.i).to.be.instanceOf(Int32);
    expect(found!.d).to.be.instanceOf(Double);
    expect(found!.big).to.be.instanceOf(Long);
    expect(found!.big.toString()).to.equal('9007199254740993');
    expect(found!.dec).to.be.instanceOf(Decimal128);
    expect(found!.dec.toString()).to.equal('1234.5600');
    // Type-aware matching: the int 7 equals the double 7.0 and the Long 7.
    expect(await coll.countDocuments({ i: 7.0 })).to.equal(1);
    expect(await coll.countDocuments({ i: Long.fromNumber(7) })).to.equal(1);
  });

  it('inserts many documents at once and counts them', async () => {
    const docs = Array.from({ length: 250 }, (_, i) => ({ code: `M-${i}`, count: i }));
    const inserted = await Item.insertMany(docs);
    expect(inserted).to.have.length(250);
    expect(await Item.countDocuments()).to.equal(250);
    expect(await Item.countDocuments({ count: { $gte: 200 } })).to.equal(50);
    expect(await Item.estimatedDocumentCount()).to.equal(250);
  });

  it('updates one document and reports matched and modified counts', async () => {
    await Item.create([{ code: 'U-1', count: 1 }, { code: 'U-2', count: 2 }]);
    const res = await Item.updateOne({ code: 'U-1' }, { $set: { name: 'changed' } });
    expect(res.matchedCount).to.equal(1);
    expect(res.modifiedCount).to.equal(1);
    const same = await Item.updateOne({ code: 'U-1' }, { $set: { name: 'changed' } });
    expect(same.matchedCount).to.equal(1);
    expect(same.modifiedCount, 'a no-op update modifies nothing').to.equal(0);
    const none = await Item.updateOne({ code: 'nope' }, { $set: { name: 'x' } });
    expect(none.matchedCount).to.equal(0);
    expect((await Item.findOne({ code: 'U-2' }).lean())!.name).to.equal(undefined);
  });

  it('updates many documents', async () => {
    await Item.insertMany([{ code: 'a', count: 1 }, { code: 'b', count: 1 }, { code: 'c', count: 5 }]);
    const res = await Item.updateMany({ count: 1 }, { $set: { active: false } });
    expect(res.matchedCount).to.equal(2);
    expect(res.modifiedCount).to.equal(2);
    expect(await Item.countDocuments({ active: false })).to.equal(2);
  });

  it('replaces a whole document but keeps its _id', async () => {
    const coll = rawCollection('compat_crud_raw');
    await coll.insertOne({ _id: 'r1' as any, code: 'R-1', name: 'old', count: 9, tags: ['x'] });
    const res = await coll.replaceOne({ code: 'R-1' }, { code: 'R-1', name: 'new' });
    expect(res.modifiedCount).to.equal(1);
    expect(await coll.findOne({ code: 'R-1' })).to.deep.equal({ _id: 'r1', code: 'R-1', name: 'new' });
  });

  it('replaces through Mongoose, which adds the schema defaults', async () => {
    const doc = await Item.create({ code: 'R-2', name: 'old', count: 9, price: 3 });
    await Item.replaceOne({ _id: doc._id }, { code: 'R-2', name: 'new' });
    const found = await Item.findById(doc._id).lean();
    expect(found!.name).to.equal('new');
    expect(found!.count, 'the default, not the old value').to.equal(0);
    expect(found!.price).to.equal(undefined);
  });

  it('refuses to change _id with ImmutableField (66)', async () => {
    const coll = rawCollection('compat_crud_raw');
    await coll.insertOne({ _id: 'fixed' as any, v: 1 });
    try {
      await coll.updateOne({ _id: 'fixed' as any }, { $set: { _id: 'other' } });
      expect.fail('changing _id must fail');
    } catch (err: any) {
      expect(err.code).to.equal(66);
    }
    expect(await coll.countDocuments({ _id: 'fixed' as any })).to.equal(1);
  });

  it('refuses a duplicate _id with E11000 on the _id_ index', async () => {
    const coll = rawCollection('compat_crud_raw');
    await coll.insertOne({ _id: 'dup' as any });
    try {
      await coll.insertOne({ _id: 'dup' as any });
      expect.fail('a duplicate _id must fail');
    } catch (err: any) {
      expect(err.code).to.equal(11000);
      expect(err.message).to.match(/E11000 duplicate key error collection: .*compat_crud_raw index: _id_ dup key/);
    }
  });

  it('deletes one and many documents', async () => {
    await Item.insertMany([{ code: 'd1', count: 1 }, { code: 'd2', count: 1 }, { code: 'd3', count: 2 }]);
    const one = await Item.deleteOne({ count: 1 });
    expect(one.deletedCount).to.equal(1);
    const many = await Item.deleteMany({ count: { $gte: 1 } });
    expect(many.deletedCount).to.equal(2);
    expect(await Item.countDocuments()).to.equal(0);
  });

  it('answers distinct values, flattening arrays', async () => {
    await Item.insertMany([
      { code: 'x1', tags: ['a', 'b'], address: { county: '浠水县' } },
      { code: 'x2', tags: ['b', 'c'], address: { county: '蕲春县' } },
      { code: 'x3', tags: [], address: { county: '浠水县' } },
    ]);
    expect((await Item.distinct('tags')).sort()).to.deep.equal(['a', 'b', 'c']);
    expect((await Item.distinct('address.county')).sort()).to.deep.equal(['浠水县', '蕲春县'].sort());
    expect(await Item.distinct('code', { 'address.county': '蕲春县' })).to.deep.equal(['x2']);
  });

  it('runs a mixed bulkWrite and reports each count', async () => {
    await Item.insertMany([{ code: 'b1', count: 1 }, { code: 'b2', count: 2 }]);
    const res = await Item.bulkWrite([
      { insertOne: { document: { code: 'b3', count: 3 } } },
      { updateOne: { filter: { code: 'b1' }, update: { $inc: { count: 10 } } } },
      { updateOne: { filter: { code: 'b9' }, update: { $set: { count: 9 } }, upsert: true } },
      { deleteOne: { filter: { code: 'b2' } } },
      { replaceOne: { filter: { code: 'b3' }, replacement: { code: 'b3', count: 30 } } },
    ]);
    expect(res.insertedCount).to.equal(1);
    expect(res.matchedCount).to.equal(2);
    expect(res.modifiedCount).to.equal(2);
    expect(res.upsertedCount).to.equal(1);
    expect(res.deletedCount).to.equal(1);
    const all = await Item.find().sort({ code: 1 }).lean();
    expect(all.map((d) => [d.code, d.count])).to.deep.equal([['b1', 11], ['b3', 30], ['b9', 9]]);
  });

  it('answers exists() and findOne() with null when nothing matches', async () => {
    await Item.create({ code: 'e1' });
    expect(await Item.exists({ code: 'e1' })).to.not.equal(null);
    expect(await Item.exists({ code: 'e2' })).to.equal(null);
    expect(await Item.findOne({ code: 'e2' })).to.equal(null);
  });

  it('saves changes made to a loaded document', async () => {
    const doc = await Item.create({ code: 's1', count: 1, tags: ['a'] });
    const loaded = await Item.findById(doc._id);
    loaded!.count = 2;
    loaded!.tags.push('b');
    await loaded!.save();
    const found = await Item.findById(doc._id).lean();
    expect(found!.count).to.equal(2);
    expect(found!.tags).to.deep.equal(['a', 'b']);
  });

  it('lists, creates and drops collections', async () => {
    const db = mongoose.connection.db!;
    await db.createCollection('compat_crud_made');
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).to.include('compat_crud_made');
    expect(await db.dropCollection('compat_crud_made')).to.equal(true);
    const after = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(after).to.not.include('compat_crud_made');
  });

  it('applies an unacknowledged write (w: 0, sent with moreToCome) and keeps the connection usable', async () => {
    // The server must not answer a moreToCome message; an answer would desynchronise the
    // connection and the next command on it would fail or get the wrong reply.
    const coll = rawCollection('compat_crud_raw');
    await coll.insertOne({ _id: 'fire-and-forget' as any, v: 1 }, { writeConcern: { w: 0 } });
    let found = null;
    for (let i = 0; i < 100 && !found; i++) {
      found = await coll.findOne({ _id: 'fire-and-forget' as any });
      if (!found) await new Promise((r) => setTimeout(r, 20));
    }
    expect(found).to.deep.equal({ _id: 'fire-and-forget', v: 1 });
    for (let i = 0; i < 20; i++) expect((await mongoose.connection.db!.command({ ping: 1 })).ok).to.equal(1);
  });

  it('serves several clients writing and reading at the same time', async function () {
    this.timeout(60_000);
    const clients = await Promise.all([0, 1, 2].map(async () => {
      const c = new mongoose.mongo.MongoClient(testDatabaseUri(), { maxPoolSize: 4 });
      return c.connect();
    }));
    try {
      const dbName = mongoose.connection.db!.databaseName;
      await Promise.all(clients.flatMap((c, ci) => Array.from({ length: 4 }, async (_, w) => {
        const coll = c.db(dbName).collection('compat_crud_concurrent');
        for (let i = 0; i < 25; i++) {
          await coll.insertOne({ ci, w, i });
          expect(await coll.countDocuments({ ci, w })).to.equal(i + 1);
        }
      })));
      expect(await rawCollection('compat_crud_concurrent').countDocuments()).to.equal(3 * 4 * 25);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('answers hello and buildInfo with what the driver relies on', async () => {
    const admin = mongoose.connection.db!.admin();
    const hello = await admin.command({ hello: 1 });
    expect(hello.isWritablePrimary).to.equal(true);
    expect(hello.maxBsonObjectSize).to.equal(16 * 1024 * 1024);
    expect(hello.maxMessageSizeBytes).to.equal(48_000_000);
    expect(hello.maxWriteBatchSize).to.equal(100_000);
    expect(hello.logicalSessionTimeoutMinutes, 'explicit sessions need it').to.be.a('number');
    expect(hello.maxWireVersion).to.be.at.least(21);
    const info = await admin.command({ buildInfo: 1 });
    expect(info.version).to.match(/^\d+\.\d+\.\d+/);
    expect((await admin.ping()).ok).to.equal(1);
  });

  it('inserts a batch that the driver has to split across several large messages', async function () {
    this.timeout(120_000);
    // 25k documents of ~2.3 kB: about 58 MB, more than one 48 MB OP_MSG.
    const coll = rawCollection('compat_crud_bulk');
    const pad = 'p'.repeat(2300);
    const res = await coll.insertMany(Array.from({ length: 25_000 }, (_, i) => ({ i, pad })));
    expect(res.insertedCount).to.equal(25_000);
    expect(await coll.countDocuments()).to.equal(25_000);
    const [row] = await coll.aggregate([{ $group: { _id: null, sum: { $sum: '$i' } } }]).toArray();
    expect(row.sum).to.equal((25_000 * 24_999) / 2);
    await coll.drop(); // 58 MB the other suites need not carry
  });

  it('renames a collection with its documents and indexes', async () => {
    const db = mongoose.connection.db!;
    await rawCollection('compat_crud_before').insertMany([{ k: 1 }, { k: 2 }]);
    await rawCollection('compat_crud_before').createIndex({ k: 1 }, { unique: true });
    await db.renameCollection('compat_crud_before', 'compat_crud_after');
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).to.include('compat_crud_after');
    expect(names).to.not.include('compat_crud_before');
    expect(await rawCollection('compat_crud_after').countDocuments()).to.equal(2);
    const err = await rawCollection('compat_crud_after').insertOne({ k: 1 }).catch((e) => e);
    expect(err?.code, 'the unique index moved with the collection').to.equal(11000);
  });

  it('drops a whole database', async () => {
    const client = mongoose.connection.getClient();
    const other = client.db(`${mongoose.connection.db!.databaseName}_compat_drop`);
    await other.collection('a').insertOne({ x: 1 });
    await other.collection('b').insertOne({ x: 2 });
    expect(await other.dropDatabase()).to.equal(true);
    expect(await other.listCollections().toArray()).to.deep.equal([]);
    expect(await rawCollection('compat_crud_raw').countDocuments(), 'the test database is untouched').to.equal(0);
  });

  it('stores a document near the 16 MB limit and refuses one above it', async () => {
    const coll = rawCollection('compat_crud_raw');
    const big = 'x'.repeat(15 * 1024 * 1024);
    await coll.insertOne({ _id: 'big' as any, big });
    const found = await coll.findOne({ _id: 'big' as any });
    expect(found!.big.length).to.equal(big.length);
    let failed = false;
    try {
      await coll.insertOne({ _id: 'too-big' as any, big: 'y'.repeat(17 * 1024 * 1024) });
    } catch {
      failed = true;
    }
    expect(failed, 'a document over 16 MB is refused').to.equal(true);
    expect(await coll.countDocuments({ _id: 'too-big' as any })).to.equal(0);
  });
});
