// Compatibility: sort, skip, limit and projection (issue 2, "sort/skip/limit"). Sort order across
// types follows MongoDB's BSON comparison order: missing and null first, then numbers, then
// strings, ...; an array sorts by its smallest element ascending and its largest descending.
import { expect } from 'chai';
import mongoose from 'mongoose';
import { dropCollectionsStartingWith, resetDatabase } from '../helpers/db';

const pagedSchema = new mongoose.Schema(
  { seq: Number, group: String, income: { wage: Number } },
  { collection: 'compat_find_paged', autoIndex: false, autoCreate: false },
);
const Paged = mongoose.model('CompatFindPaged', pagedSchema);

function raw() {
  return mongoose.connection.db!.collection<any>('compat_find_raw');
}

describe('embedded-mongo compatibility: sort, skip, limit and projection', () => {
  before(async () => {
    await resetDatabase();
    await dropCollectionsStartingWith('compat_find_');
    await raw().insertMany([
      { _id: 1 as any, n: 3, s: 'b', a: [5, 1], income: { wage: 100 }, members: [{ name: 'm1', h: 'x' }, { name: 'm2', h: 'y' }, { name: 'm3', h: 'y' }] },
      { _id: 2 as any, n: 1, s: 'a', a: [3], income: { wage: 300 }, members: [{ name: 'm4', h: 'y' }] },
      { _id: 3 as any, s: 'c', income: { wage: 200 } },
      { _id: 4 as any, n: null, s: 'd', a: [2, 8] },
      { _id: 5 as any, n: '10', s: 'e', a: 4 },
    ]);
    await Paged.insertMany(
      Array.from({ length: 25 }, (_, i) => ({ seq: i, group: i % 2 === 0 ? 'even' : 'odd', income: { wage: (i * 7) % 10 } })),
    );
  });

  async function ids(sort: Record<string, 1 | -1>): Promise<number[]> {
    return (await raw().find({}, { sort, projection: { _id: 1 } }).toArray()).map((d) => d._id as number);
  }

  it('sorts missing and null first, then numbers, then strings', async () => {
    expect(await ids({ n: 1, _id: 1 })).to.deep.equal([3, 4, 2, 1, 5]);
    expect(await ids({ n: -1, _id: 1 })).to.deep.equal([5, 1, 2, 3, 4]);
  });

  it('sorts an array field by its smallest element ascending and its largest descending', async () => {
    expect(await ids({ a: 1 })).to.deep.equal([3, 1, 4, 2, 5]);
    expect(await ids({ a: -1 })).to.deep.equal([4, 1, 5, 2, 3]);
  });

  it('sorts by a nested field and by several keys', async () => {
    expect(await ids({ 'income.wage': -1, _id: 1 })).to.deep.equal([2, 3, 1, 4, 5]);
    const docs = await Paged.find().sort({ group: 1, seq: -1 }).limit(3).lean();
    expect(docs.map((d) => d.seq)).to.deep.equal([24, 22, 20]);
  });

  it('orders strings by their UTF-8 bytes, also for characters beyond the BMP (rare 生僻字)', async () => {
    // MongoDB's simple collation compares UTF-8 bytes, i.e. code points: U+8C48 豈 < U+FF5E ～ <
    // U+20000 𠀀. JavaScript's < compares UTF-16 units, which puts 𠀀 (D840 DC00) before ～.
    const coll = mongoose.connection.db!.collection<any>('compat_find_strings');
    await coll.insertMany([{ n: '𠀀' }, { n: '～' }, { n: '豈' }, { n: '张' }, { n: 'a' }]);
    const order = ['a', '张', '豈', '～', '𠀀'];
    expect((await coll.find({}, { sort: { n: 1 } }).toArray()).map((d) => d.n)).to.deep.equal(order);
    expect((await coll.find({ n: { $gt: '豈' } }, { sort: { n: 1 } }).toArray()).map((d) => d.n)).to.deep.equal(['～', '𠀀']);
    const [max] = await coll.aggregate([{ $group: { _id: null, max: { $max: '$n' } } }]).toArray();
    expect(max.max).to.equal('𠀀');
    await coll.createIndex({ n: 1 });
    expect((await coll.find({}, { sort: { n: -1 } }).toArray()).map((d) => d.n)).to.deep.equal([...order].reverse());
  });

  it('pages with skip and limit in sort order', async () => {
    const page = (n: number) => Paged.find().sort({ seq: 1 }).skip(n * 10).limit(10).lean();
    expect((await page(0)).map((d) => d.seq)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await page(2)).map((d) => d.seq)).to.deep.equal([20, 21, 22, 23, 24]);
    expect(await page(3)).to.deep.equal([]);
  });

  it('applies skip and limit after the filter and the sort', async () => {
    const docs = await Paged.find({ group: 'odd' }).sort({ seq: -1 }).skip(2).limit(3).lean();
    expect(docs.map((d) => d.seq)).to.deep.equal([19, 17, 15]);
  });

  it('treats limit 0 as no limit', async () => {
    expect((await Paged.find().limit(0).lean()).length).to.equal(25);
    expect((await raw().find({}, { limit: 0 }).toArray()).length).to.equal(5);
  });

  it('projects included fields with _id, and without _id when excluded', async () => {
    const withId = await raw().findOne({ _id: 1 as any }, { projection: { s: 1 } });
    expect(withId).to.deep.equal({ _id: 1, s: 'b' });
    const withoutId = await raw().findOne({ _id: 1 as any }, { projection: { s: 1, _id: 0 } });
    expect(withoutId).to.deep.equal({ s: 'b' });
  });

  it('returns included fields with _id first and in stored order, whatever the projection order', async () => {
    const doc = await raw().findOne({ _id: 1 as any }, { projection: { s: 1, n: 1 } });
    expect(Object.keys(doc!)).to.deep.equal(['_id', 'n', 's']);
  });

  it('projects excluded fields away', async () => {
    const doc = await raw().findOne({ _id: 2 as any }, { projection: { members: 0, a: 0, income: 0 } });
    expect(doc).to.deep.equal({ _id: 2, n: 1, s: 'a' });
  });

  it('projects dotted paths into embedded documents and arrays of them', async () => {
    const doc = await raw().findOne({ _id: 1 as any }, { projection: { 'income.wage': 1, 'members.name': 1, _id: 0 } });
    expect(doc).to.deep.equal({ income: { wage: 100 }, members: [{ name: 'm1' }, { name: 'm2' }, { name: 'm3' }] });
  });

  it('slices arrays with $slice', async () => {
    const first = await raw().findOne({ _id: 1 as any }, { projection: { members: { $slice: 1 }, _id: 0, s: 1 } });
    expect(first!.members).to.deep.equal([{ name: 'm1', h: 'x' }]);
    const last = await raw().findOne({ _id: 1 as any }, { projection: { members: { $slice: -1 } } });
    expect(last!.members).to.deep.equal([{ name: 'm3', h: 'y' }]);
    expect(last!.s, '$slice alone keeps the other fields').to.equal('b');
    const middle = await raw().findOne({ _id: 1 as any }, { projection: { members: { $slice: [1, 1] } } });
    expect(middle!.members).to.deep.equal([{ name: 'm2', h: 'y' }]);
  });

  it('projects the first matching element with $elemMatch and with the positional $', async () => {
    const byElemMatch = await raw().findOne({ _id: 1 as any }, { projection: { members: { $elemMatch: { h: 'y' } } } });
    expect(byElemMatch).to.deep.equal({ _id: 1, members: [{ name: 'm2', h: 'y' }] });
    const positional = await raw().findOne({ 'members.h': 'y', _id: 1 as any }, { projection: { 'members.$': 1 } });
    expect(positional).to.deep.equal({ _id: 1, members: [{ name: 'm2', h: 'y' }] });
  });

  it('refuses a projection that mixes inclusion and exclusion', async () => {
    try {
      await raw().findOne({ _id: 1 as any }, { projection: { s: 1, n: 0 } });
      expect.fail('a mixed projection must fail');
    } catch (err: any) {
      expect(err.name).to.equal('MongoServerError');
      expect([31253, 31254]).to.include(err.code);
    }
  });

  it('selects fields through Mongoose select()', async () => {
    const docs = await Paged.find({ seq: { $lt: 2 } }).sort({ seq: 1 }).select('seq -_id').lean();
    expect(docs).to.deep.equal([{ seq: 0 }, { seq: 1 }]);
  });
});
