// Compatibility: BSON numeric types (int32, int64, double) survive storage, updates, queries and
// replies the way MongoDB keeps them. Values are read back with promoteValues/promoteLongs off,
// so that the driver shows the stored type instead of a JS number.
import { expect } from 'chai';
import mongoose from 'mongoose';
import { dropCollectionsStartingWith, resetDatabase } from '../helpers/db';
import { expectCode } from '../helpers/mongo-errors';

const { Double, Int32, Long } = mongoose.mongo;
const TYPED = { promoteValues: false, promoteLongs: false } as const;

function raw() {
  return mongoose.connection.db!.collection<any>('compat_types_raw');
}

async function typed(id: string): Promise<any> {
  return raw().findOne({ _id: id as any }, TYPED);
}

describe('embedded-mongo compatibility: numeric types', () => {
  beforeEach(async () => {
    await resetDatabase();
    await dropCollectionsStartingWith('compat_types_');
  });

  it('keeps an integral double a double, an int an int and a small long a long when stored', async () => {
    await raw().insertOne({ _id: 't' as any, d: new Double(2), i: new Int32(2), l: Long.fromNumber(2), nested: { d: new Double(4), arr: [new Double(1), 1] } });
    const doc = await typed('t');
    expect(doc.d).to.be.instanceOf(Double);
    expect(doc.i).to.be.instanceOf(Int32);
    expect(doc.l).to.be.instanceOf(Long);
    expect(doc.nested.d).to.be.instanceOf(Double);
    expect(doc.nested.arr[0]).to.be.instanceOf(Double);
    expect(doc.nested.arr[1]).to.be.instanceOf(Int32);
  });

  it('stores the client\'s bytes with _id moved first, types and field order kept', async () => {
    await raw().insertOne({ a: new Double(1), b: { c: Long.fromNumber(2) } });
    await raw().insertOne({ a: new Double(3), _id: 'last' as any });
    const generated = await raw().findOne({ a: 1 }, TYPED);
    expect(Object.keys(generated!)).to.deep.equal(['_id', 'a', 'b']);
    expect(generated!.a).to.be.instanceOf(Double);
    expect(generated!.b.c).to.be.instanceOf(Long);
    const last = await typed('last');
    expect(Object.keys(last)).to.deep.equal(['_id', 'a']);
    expect(last.a).to.be.instanceOf(Double);
  });

  it('keeps the stored type of every value an update does not touch', async () => {
    await raw().insertOne({ _id: 'u' as any, d: new Double(2), l: Long.fromNumber(7), nested: { d: new Double(4), s: 'x' }, arr: [new Double(1), { d: new Double(3) }] });
    await raw().updateOne({ _id: 'u' as any }, { $set: { 'nested.s': 'y', added: 1 }, $push: { more: 1 } } as any);
    const doc = await typed('u');
    expect(doc.d).to.be.instanceOf(Double);
    expect(doc.l).to.be.instanceOf(Long);
    expect(doc.nested.d).to.be.instanceOf(Double);
    expect(doc.arr[0]).to.be.instanceOf(Double);
    expect(doc.arr[1].d).to.be.instanceOf(Double);
    expect(doc.nested.s).to.equal('y');
    // A mingo-evaluated operator ($push) goes through a full copy: types must survive it too.
    expect(doc.more).to.have.length(1);
  });

  it('stores the type the client sent with $set', async () => {
    await raw().insertOne({ _id: 's' as any, a: 1 });
    await raw().updateOne({ _id: 's' as any }, { $set: { a: new Double(1), b: { c: new Double(5) }, l: Long.fromNumber(3) } });
    const doc = await typed('s');
    expect(doc.a).to.be.instanceOf(Double);
    expect(doc.b.c).to.be.instanceOf(Double);
    expect(doc.l).to.be.instanceOf(Long);
  });

  it('$inc and $mul: any double makes a double, int with int stays int', async () => {
    await raw().insertOne({ _id: 'm' as any, e: 2.5, d: new Double(2), i: new Int32(3), j: new Int32(4) });
    await raw().updateOne({ _id: 'm' as any }, { $mul: { e: 2 }, $inc: { d: 1, i: 2, j: new Double(1) } });
    const doc = await typed('m');
    expect(doc.e).to.be.instanceOf(Double);
    expect(doc.e.valueOf()).to.equal(5);
    expect(doc.d).to.be.instanceOf(Double);
    expect(doc.d.valueOf()).to.equal(3);
    expect(doc.i).to.be.instanceOf(Int32);
    expect(doc.i.valueOf()).to.equal(5);
    expect(doc.j).to.be.instanceOf(Double);
    expect(doc.j.valueOf()).to.equal(5);
  });

  it('$mul of two int32 past the int32 range gives a long; long with int stays long', async () => {
    await raw().insertOne({ _id: 'w' as any, n: new Int32(65536), l: Long.fromNumber(10) });
    await raw().updateOne({ _id: 'w' as any }, { $mul: { n: 65536 }, $inc: { l: 1 } });
    const doc = await typed('w');
    expect(doc.n).to.be.instanceOf(Long);
    expect(doc.n.toString()).to.equal('4294967296');
    expect(doc.l).to.be.instanceOf(Long);
    expect(doc.l.toString()).to.equal('11');
  });

  it('$inc on a long beyond 2^53 is exact', async () => {
    await raw().insertOne({ _id: 'big' as any, l: Long.fromString('9007199254740993') });
    await raw().updateOne({ _id: 'big' as any }, { $inc: { l: 2 } });
    expect((await typed('big')).l.toString()).to.equal('9007199254740995');
  });

  it('refuses a long overflow with BadValue (2), as MongoDB does, and leaves the value alone', async () => {
    await raw().insertOne({ _id: 'of' as any, l: Long.MAX_VALUE });
    const err = await expectCode(raw().updateOne({ _id: 'of' as any }, { $inc: { l: 1 } }), 2);
    expect(err.message).to.match(/Failed to apply \$inc/);
    expect((await typed('of')).l.toString()).to.equal(Long.MAX_VALUE.toString());
  });

  it('$inc on a missing field takes the increment\'s type; $mul sets a zero of the multiplier\'s type', async () => {
    await raw().insertOne({ _id: 'miss' as any });
    await raw().updateOne({ _id: 'miss' as any }, { $inc: { a: new Double(1) }, $mul: { b: Long.fromNumber(5), c: new Double(3) } });
    const doc = await typed('miss');
    expect(doc.a).to.be.instanceOf(Double);
    expect(doc.b).to.be.instanceOf(Long);
    expect(doc.b.toString()).to.equal('0');
    expect(doc.c).to.be.instanceOf(Double);
    expect(doc.c.valueOf()).to.equal(0);
  });

  it('$type tells int, long and double apart; number matches all three', async () => {
    await raw().insertMany([
      { _id: 'i' as any, v: new Int32(2) },
      { _id: 'd' as any, v: new Double(2) },
      { _id: 'l' as any, v: Long.fromNumber(2) },
      { _id: 's' as any, v: '2' },
      { _id: 'a' as any, v: [new Double(1), 'x'] },
    ]);
    const ids = async (filter: object) => (await raw().find(filter).toArray()).map((d) => d._id).sort();
    expect(await ids({ v: { $type: 'int' } })).to.deep.equal(['i']);
    expect(await ids({ v: { $type: 'double' } })).to.deep.equal(['a', 'd']);
    expect(await ids({ v: { $type: 'long' } })).to.deep.equal(['l']);
    expect(await ids({ v: { $type: 18 } })).to.deep.equal(['l']);
    expect(await ids({ v: { $type: ['int', 'long'] } })).to.deep.equal(['i', 'l']);
    expect(await ids({ v: { $type: 'number' } })).to.deep.equal(['a', 'd', 'i', 'l']);
    expect(await ids({ v: { $type: 'double', $gte: 2 } })).to.deep.equal(['d']);
    expect(await ids({ $and: [{ v: { $type: 'int' } }, { _id: { $ne: 'x' } }] })).to.deep.equal(['i']);
  });

  it('keeps types through projections, findOneAndUpdate and transactions', async () => {
    await raw().insertOne({ _id: 'p' as any, d: new Double(2), other: 1 });
    const projected = await raw().findOne({ _id: 'p' as any }, { ...TYPED, projection: { d: 1 } });
    expect(projected!.d).to.be.instanceOf(Double);
    expect(Object.keys(projected!)).to.deep.equal(['_id', 'd']);
    const excluded = await raw().findOne({ _id: 'p' as any }, { ...TYPED, projection: { other: 0 } });
    expect(excluded!.d).to.be.instanceOf(Double);

    const after = await raw().findOneAndUpdate({ _id: 'p' as any }, { $inc: { d: 1 } }, { ...TYPED, returnDocument: 'after' });
    expect(after!.d).to.be.instanceOf(Double);
    expect(after!.d.valueOf()).to.equal(3);

    const session = mongoose.connection.getClient().startSession();
    try {
      await session.withTransaction(async () => {
        await raw().insertOne({ _id: 'tx' as any, d: new Double(6) }, { session });
        await raw().updateOne({ _id: 'p' as any }, { $mul: { d: 2 } }, { session });
      });
    } finally {
      await session.endSession();
    }
    expect((await typed('tx')).d).to.be.instanceOf(Double);
    const p = await typed('p');
    expect(p.d).to.be.instanceOf(Double);
    expect(p.d.valueOf()).to.equal(6);
  });

  it('counts an update that only changes a type as a modification', async () => {
    await raw().insertOne({ _id: 'c' as any, a: new Int32(1) });
    const same = await raw().updateOne({ _id: 'c' as any }, { $set: { a: 1 } });
    expect(same.modifiedCount).to.equal(0);
    const retyped = await raw().updateOne({ _id: 'c' as any }, { $set: { a: new Double(1) } });
    expect(retyped.modifiedCount).to.equal(1);
    expect((await typed('c')).a).to.be.instanceOf(Double);
  });
});
