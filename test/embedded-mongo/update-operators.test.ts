// Compatibility: update operators and upserts (issue 2, "update operators and upserts"). Most
// cases go through the raw driver so that Mongoose's casting cannot hide what the engine does;
// the household cases go through Mongoose as the application will.
import { expect } from 'chai';
import mongoose from 'mongoose';
import { dropCollectionsStartingWith, resetDatabase } from '../helpers/db';
import { expectCode } from '../helpers/mongo-errors';

const memberSchema = new mongoose.Schema(
  { name: String, idNumber: String, health: String, monthsWorked: Number },
  { _id: false },
);
const householdSchema = new mongoose.Schema(
  {
    code: String,
    status: String,
    version: { type: Number, default: 0 },
    createdBy: String,
    members: [memberSchema],
    supports: [{ _id: false, category: String, amount: Number }],
  },
  { collection: 'compat_update_households', autoIndex: false, autoCreate: false },
);
const Household = mongoose.model('CompatUpdateHousehold', householdSchema);

function raw() {
  return mongoose.connection.db!.collection<any>('compat_update_raw');
}

async function rawDoc(id: string) {
  return raw().findOne({ _id: id as any });
}

describe('embedded-mongo compatibility: update operators', () => {
  beforeEach(async () => {
    await resetDatabase();
    await dropCollectionsStartingWith('compat_update_');
  });

  it('$set creates nested paths and $unset removes fields', async () => {
    await raw().insertOne({ _id: 's' as any, a: 1, b: { c: 2 } });
    await raw().updateOne({ _id: 's' as any }, { $set: { 'x.y.z': 'deep', 'b.d': 3 }, $unset: { a: '' } });
    expect(await rawDoc('s')).to.deep.equal({ _id: 's', b: { c: 2, d: 3 }, x: { y: { z: 'deep' } } });
  });

  it('$set into an array element by index, padding with null', async () => {
    await raw().insertOne({ _id: 'arr' as any, a: [1] });
    await raw().updateOne({ _id: 'arr' as any }, { $set: { 'a.3': 4 } });
    expect((await rawDoc('arr'))!.a).to.deep.equal([1, null, null, 4]);
  });

  it('$inc adds, creates a missing field, and refuses a non-number with TypeMismatch (14)', async () => {
    await raw().insertOne({ _id: 'i' as any, n: 5, s: 'text' });
    await raw().updateOne({ _id: 'i' as any }, { $inc: { n: 2.5, fresh: 1 } });
    const doc = await rawDoc('i');
    expect(doc!.n).to.equal(7.5);
    expect(doc!.fresh).to.equal(1);
    await expectCode(raw().updateOne({ _id: 'i' as any }, { $inc: { s: 1 } }), 14);
    expect((await rawDoc('i'))!.s, 'a failed update changes nothing').to.equal('text');
  });

  it('$mul, $min, $max and $rename', async () => {
    await raw().insertOne({ _id: 'm' as any, p: 3, lo: 5, hi: 5, old: 'v' });
    await raw().updateOne({ _id: 'm' as any }, { $mul: { p: 4 }, $min: { lo: 2 }, $max: { hi: 1 }, $rename: { old: 'renamed' } });
    expect(await rawDoc('m')).to.deep.equal({ _id: 'm', p: 12, lo: 2, hi: 5, renamed: 'v' });
  });

  it('$currentDate sets a date', async () => {
    await raw().insertOne({ _id: 'd' as any });
    const before = Date.now();
    await raw().updateOne({ _id: 'd' as any }, { $currentDate: { at: true } });
    const at = (await rawDoc('d'))!.at;
    expect(at).to.be.instanceOf(Date);
    expect(at.getTime()).to.be.within(before - 5000, Date.now() + 5000);
  });

  it('$currentDate with $type timestamp sets a BSON Timestamp', async () => {
    await raw().insertOne({ _id: 'ts' as any });
    await raw().updateOne({ _id: 'ts' as any }, { $currentDate: { t: { $type: 'timestamp' }, d: { $type: 'date' } } });
    const doc = await rawDoc('ts');
    expect(doc!.t).to.be.instanceOf(mongoose.mongo.Timestamp);
    expect(doc!.t.getHighBits(), 'seconds since the epoch').to.be.within(Math.floor(Date.now() / 1000) - 60, Math.floor(Date.now() / 1000) + 60);
    expect(doc!.d).to.be.instanceOf(Date);
  });

  it('$push appends, and with $each/$position/$sort/$slice shapes the array', async () => {
    await raw().insertOne({ _id: 'p' as any, a: [3, 1] });
    await raw().updateOne({ _id: 'p' as any }, { $push: { a: 2 } } as any);
    expect((await rawDoc('p'))!.a).to.deep.equal([3, 1, 2]);
    await raw().updateOne({ _id: 'p' as any }, { $push: { a: { $each: [9, 0], $position: 0 } } } as any);
    expect((await rawDoc('p'))!.a).to.deep.equal([9, 0, 3, 1, 2]);
    await raw().updateOne({ _id: 'p' as any }, { $push: { a: { $each: [7], $sort: 1, $slice: 3 } } } as any);
    expect((await rawDoc('p'))!.a).to.deep.equal([0, 1, 2]);
    await raw().updateOne({ _id: 'p' as any }, { $push: { fresh: 'x' } } as any);
    expect((await rawDoc('p'))!.fresh, '$push creates a missing array').to.deep.equal(['x']);
  });

  it('$pull removes by value and by condition; $pullAll and $pop', async () => {
    await raw().insertOne({
      _id: 'q' as any, a: [1, 2, 3, 2, 4], b: [{ k: 1 }, { k: 2 }, { k: 3 }], c: ['x', 'y', 'z'], d: [1, 2, 3],
    });
    await raw().updateOne({ _id: 'q' as any }, {
      $pull: { a: 2, b: { k: { $gte: 2 } } }, $pullAll: { c: ['x', 'z'] }, $pop: { d: -1 },
    } as any);
    const doc = await rawDoc('q');
    expect(doc!.a).to.deep.equal([1, 3, 4]);
    expect(doc!.b).to.deep.equal([{ k: 1 }]);
    expect(doc!.c).to.deep.equal(['y']);
    expect(doc!.d).to.deep.equal([2, 3]);
  });

  it('$addToSet adds only missing values, also with $each', async () => {
    await raw().insertOne({ _id: 'a' as any, t: ['x'] });
    await raw().updateOne({ _id: 'a' as any }, { $addToSet: { t: 'x' } });
    await raw().updateOne({ _id: 'a' as any }, { $addToSet: { t: { $each: ['y', 'x', 'z', 'y'] } } });
    expect((await rawDoc('a'))!.t).to.deep.equal(['x', 'y', 'z']);
  });

  it('$addToSet compares embedded documents field by field and in order', async () => {
    await raw().insertOne({ _id: 'ds' as any, s: [{ a: 1, b: 2 }] });
    await raw().updateOne({ _id: 'ds' as any }, { $addToSet: { s: { a: 1, b: 2 } } });
    await raw().updateOne({ _id: 'ds' as any }, { $addToSet: { s: { b: 2, a: 1 } } });
    expect((await rawDoc('ds'))!.s).to.deep.equal([{ a: 1, b: 2 }, { b: 2, a: 1 }]);
  });

  // Known engine gap (README "Known differences", test/embedded-mongo/FAILURES.md 1–2): numeric
  // BSON types are not kept exactly. Pending, not deleted, so the next fix turns it back on.
  it('$inc past the int32 range turns the value into a Long, as MongoDB does', async () => {
    const { Int32, Long } = mongoose.mongo;
    await raw().insertOne({ _id: 'ov' as any, n: new Int32(2147483647) });
    await raw().updateOne({ _id: 'ov' as any }, { $inc: { n: 1 } });
    const doc = await raw().findOne({ _id: 'ov' as any }, { promoteValues: false, promoteLongs: false });
    expect(doc!.n).to.be.instanceOf(Long);
    expect(doc!.n.toString()).to.equal('2147483648');
  });

  it('updates the first matching member with the positional $', async () => {
    await Household.create({
      code: 'h1',
      members: [
        { name: '张三', idNumber: '11010519491231002X', health: 'healthy', monthsWorked: 0 },
        { name: '李四', idNumber: '110105195001010011', health: 'healthy', monthsWorked: 3 },
      ],
    });
    const res = await Household.updateOne(
      { code: 'h1', 'members.idNumber': '110105195001010011' },
      { $set: { 'members.$.health': 'serious' }, $inc: { 'members.$.monthsWorked': 2, version: 1 } },
    );
    expect(res.modifiedCount).to.equal(1);
    const h = await Household.findOne({ code: 'h1' }).lean();
    expect(h!.members.map((m) => [m.health, m.monthsWorked])).to.deep.equal([['healthy', 0], ['serious', 5]]);
    expect(h!.version).to.equal(1);
  });

  it('refuses the positional $ when the query does not match the array (2)', async () => {
    await raw().insertOne({ _id: 'pos' as any, a: [{ k: 1 }] });
    const err = await expectCode(raw().updateOne({ _id: 'pos' as any }, { $set: { 'a.$.k': 2 } }), 2);
    expect(err.message).to.match(/positional operator/);
  });

  it('updates every member with $[] and the matching ones with arrayFilters', async () => {
    await Household.create({
      code: 'h2',
      members: [
        { name: 'a', health: 'healthy', monthsWorked: 1 },
        { name: 'b', health: 'chronic', monthsWorked: 2 },
        { name: 'c', health: 'chronic', monthsWorked: 3 },
      ],
      supports: [{ category: 'education', amount: 100 }, { category: 'medical', amount: 50 }],
    });
    await Household.updateOne({ code: 'h2' }, { $inc: { 'members.$[].monthsWorked': 10 } });
    await Household.updateOne(
      { code: 'h2' },
      { $set: { 'members.$[sick].health': 'serious', 'supports.$[s].amount': 0 } },
      { arrayFilters: [{ 'sick.health': 'chronic', 'sick.monthsWorked': { $gte: 13 } }, { 's.category': 'medical' }] },
    );
    const h = await Household.findOne({ code: 'h2' }).lean();
    expect(h!.members.map((m) => [m.name, m.health, m.monthsWorked])).to.deep.equal([
      ['a', 'healthy', 11], ['b', 'chronic', 12], ['c', 'serious', 13],
    ]);
    expect(h!.supports.map((s) => s.amount)).to.deep.equal([100, 0]);
  });

  it('refuses conflicting operators on one path with ConflictingUpdateOperators (40)', async () => {
    await raw().insertOne({ _id: 'c' as any, n: 1 });
    await expectCode(raw().updateOne({ _id: 'c' as any }, { $set: { n: 5 }, $inc: { n: 1 } }), 40);
    await expectCode(raw().updateOne({ _id: 'c' as any }, { $set: { 'x.y': 1, x: {} } }), 40);
    expect((await rawDoc('c'))!.n).to.equal(1);
  });

  it('refuses an unknown update operator with FailedToParse (9)', async () => {
    await raw().insertOne({ _id: 'u' as any, n: 1 });
    await expectCode(raw().updateOne({ _id: 'u' as any }, { $frobnicate: { n: 5 } } as any), 9);
  });

  it('refuses array operators on a non-array field (2) and leaves the document alone', async () => {
    await raw().insertOne({ _id: 'na' as any, s: 'text', n: 1 });
    await expectCode(raw().updateOne({ _id: 'na' as any }, { $push: { s: 'x' } } as any), 2);
    await expectCode(raw().updateOne({ _id: 'na' as any }, { $addToSet: { s: 'x' } } as any), 2);
    await expectCode(raw().updateOne({ _id: 'na' as any }, { $pull: { s: 'x' } } as any), 2);
    expect(await rawDoc('na')).to.deep.equal({ _id: 'na', s: 'text', n: 1 });
  });

  it('refuses $inc with a non-numeric argument (14)', async () => {
    await raw().insertOne({ _id: 'arg' as any, n: 1 });
    await expectCode(raw().updateOne({ _id: 'arg' as any }, { $inc: { n: 'one' } } as any), 14);
  });

  it('refuses to create a field inside a scalar with PathNotViable (28)', async () => {
    await raw().insertOne({ _id: 'pnv' as any, a: 5 });
    await expectCode(raw().updateOne({ _id: 'pnv' as any }, { $set: { 'a.b': 1 } }), 28);
    expect((await rawDoc('pnv'))!.a).to.equal(5);
  });

  it('$unset of an array element leaves null in its place', async () => {
    await raw().insertOne({ _id: 'ua' as any, a: [1, 2, 3] });
    await raw().updateOne({ _id: 'ua' as any }, { $unset: { 'a.1': '' } });
    expect((await rawDoc('ua'))!.a).to.deep.equal([1, null, 3]);
  });

  it('$min and $max compare dates', async () => {
    await raw().insertOne({ _id: 'dt' as any, first: new Date('2020-01-01'), last: new Date('2020-01-01') });
    await raw().updateOne({ _id: 'dt' as any }, { $min: { first: new Date('2019-06-01') }, $max: { last: new Date('2021-06-01') } });
    const doc = await rawDoc('dt');
    expect(doc!.first.toISOString()).to.equal('2019-06-01T00:00:00.000Z');
    expect(doc!.last.toISOString()).to.equal('2021-06-01T00:00:00.000Z');
  });

  it('applies an aggregation-pipeline update, or refuses it without changing anything', async () => {
    await raw().insertOne({ _id: 'pipe' as any, a: 2, b: 3 });
    let err: any;
    try {
      await raw().updateOne({ _id: 'pipe' as any }, [{ $set: { total: { $add: ['$a', '$b'] } } }, { $unset: 'b' }]);
    } catch (e) {
      err = e;
    }
    const doc = await rawDoc('pipe');
    if (err) {
      expect([115, 2, 9], err.message).to.include(err.code);
      expect(err.message).to.match(/pipeline/i);
      expect(doc).to.deep.equal({ _id: 'pipe', a: 2, b: 3 });
    } else {
      expect(doc).to.deep.equal({ _id: 'pipe', a: 2, total: 5 });
    }
  });

  it('updates many documents with updateMany and a pipeline-free $inc', async () => {
    await raw().insertMany([{ _id: 'm1' as any, g: 1, n: 0 }, { _id: 'm2' as any, g: 1, n: 0 }, { _id: 'm3' as any, g: 2, n: 0 }]);
    const res = await raw().updateMany({ g: 1 }, { $inc: { n: 1 } });
    expect(res.matchedCount).to.equal(2);
    expect(res.modifiedCount).to.equal(2);
    expect((await raw().find({}, { sort: { _id: 1 } }).toArray()).map((d) => d.n)).to.deep.equal([1, 1, 0]);
  });
});

describe('embedded-mongo compatibility: upserts', () => {
  beforeEach(async () => {
    await resetDatabase();
    await dropCollectionsStartingWith('compat_update_');
  });

  it('inserts from the equality fields of the query plus $set and $setOnInsert', async () => {
    // The raw driver: Mongoose would add its own $setOnInsert defaults.
    const res = await raw().updateOne(
      { code: 'new-1', status: 'poor', version: { $gte: 0 } },
      { $set: { 'monitoring.type': 'sudden' }, $setOnInsert: { createdBy: 'importer' }, $inc: { version: 1 } },
      { upsert: true },
    );
    expect(res.upsertedCount).to.equal(1);
    expect(res.matchedCount).to.equal(0);
    expect(res.upsertedId).to.not.equal(null);
    const doc = await raw().findOne({ _id: res.upsertedId as any });
    expect(doc!.code).to.equal('new-1');
    expect(doc!.status).to.equal('poor');
    expect(doc!.monitoring).to.deep.equal({ type: 'sudden' });
    expect(doc!.createdBy).to.equal('importer');
    expect(doc!.version, 'a range condition seeds nothing; $inc starts from 0').to.equal(1);
  });

  it('upserts through Mongoose with $setOnInsert and $push', async () => {
    const res = await Household.updateOne(
      { code: 'new-2' },
      { $setOnInsert: { createdBy: 'importer' }, $push: { members: { name: '张三' } } },
      { upsert: true },
    );
    expect(res.upsertedCount).to.equal(1);
    const h = await Household.findOne({ code: 'new-2' }).lean();
    expect(h!.createdBy).to.equal('importer');
    expect(h!.members.map((m) => m.name)).to.deep.equal(['张三']);
  });

  it('does not apply $setOnInsert when the document exists', async () => {
    await Household.create({ code: 'old-1', createdBy: 'clerk', version: 4 });
    const res = await Household.updateOne(
      { code: 'old-1' },
      { $setOnInsert: { createdBy: 'importer' }, $inc: { version: 1 } },
      { upsert: true },
    );
    expect(res.upsertedCount).to.equal(0);
    expect(res.matchedCount).to.equal(1);
    const h = await Household.findOne({ code: 'old-1' }).lean();
    expect(h!.createdBy).to.equal('clerk');
    expect(h!.version).to.equal(5);
  });

  it('takes _id from the query when it is an equality', async () => {
    await raw().updateOne({ _id: 'given' as any }, { $set: { v: 1 } }, { upsert: true });
    expect(await rawDoc('given')).to.deep.equal({ _id: 'given', v: 1 });
  });

  it('upserts with a replacement document', async () => {
    const res = await raw().replaceOne({ k: 'r' }, { k: 'r', v: 2 }, { upsert: true });
    expect(res.upsertedCount).to.equal(1);
    const doc = await raw().findOne({ k: 'r' });
    expect(doc!.v).to.equal(2);
    await raw().replaceOne({ k: 'r' }, { k: 'r', v: 3 }, { upsert: true });
    expect(await raw().countDocuments({ k: 'r' })).to.equal(1);
  });

  it('upserts through updateMany once, not per match', async () => {
    const res = await raw().updateMany({ tag: 'none-yet' }, { $set: { seen: true } }, { upsert: true });
    expect(res.upsertedCount).to.equal(1);
    expect(await raw().countDocuments({ tag: 'none-yet', seen: true })).to.equal(1);
  });

  it('seeds from $and equalities and $elemMatch-free dotted fields', async () => {
    await raw().updateOne({ $and: [{ a: 1 }, { 'b.c': 'x' }] }, { $set: { d: true } }, { upsert: true });
    const doc = await raw().findOne({ a: 1 });
    expect(doc).to.include({ a: 1, d: true });
    expect(doc!.b).to.deep.equal({ c: 'x' });
  });
});
