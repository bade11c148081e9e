// Compatibility: indexes and their constraints (issue 2, "unique and multikey violations";
// DESIGN.md: "a unique multikey index on the members' ID numbers keeps a person in one household").
//
// CASE list for the multikey unique index on members.idNumber (MongoDB semantics):
//   1. the same ID number in two households is refused with E11000;
//   2. the same ID number twice inside ONE household is accepted (a document's own index keys are
//      de-duplicated; uniqueness is between documents);
//   3. pushing a member whose ID number is in another household is refused;
//   4. a household without members indexes null once, so a second one collides unless sparse.
import { expect } from 'chai';
import mongoose from 'mongoose';
import { dropCollectionsStartingWith, resetDatabase } from '../helpers/db';

const memberSchema = new mongoose.Schema({ name: String, idNumber: String }, { _id: false });
const householdSchema = new mongoose.Schema(
  {
    code: { type: String, unique: true },
    regionCode: String,
    group: String,
    status: String,
    members: { type: [memberSchema], default: undefined },
  },
  { collection: 'compat_index_households', autoIndex: false, autoCreate: false },
);
householdSchema.index({ 'members.idNumber': 1 }, { unique: true, sparse: true });
householdSchema.index({ regionCode: 1, group: 1 }, { unique: true, partialFilterExpression: { group: { $exists: true } } });
const Household = mongoose.model('CompatIndexHousehold', householdSchema);

function raw(name = 'compat_index_raw') {
  return mongoose.connection.db!.collection<any>(name);
}

async function catchError(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  return expect.fail('expected the operation to fail');
}

describe('embedded-mongo compatibility: indexes', () => {
  beforeEach(async () => {
    await resetDatabase();
    await dropCollectionsStartingWith('compat_index_');
    await Household.createIndexes();
  });

  describe('unique index on code', () => {
    it('refuses a duplicate code with E11000 carrying keyPattern and keyValue through Mongoose', async () => {
      await Household.create({ code: 'H-1' });
      const err = await catchError(Household.create({ code: 'H-1' }));
      expect(err.code).to.equal(11000);
      expect(err.keyPattern).to.deep.equal({ code: 1 });
      expect(err.keyValue).to.deep.equal({ code: 'H-1' });
      expect(err.message).to.match(/E11000 duplicate key error collection: \S+\.compat_index_households index: code_1 dup key: \{ code: "H-1" \}/);
      expect(await Household.countDocuments()).to.equal(1);
    });

    it('refuses a duplicate made by an update', async () => {
      await Household.create([{ code: 'H-1' }, { code: 'H-2' }]);
      const err = await catchError(Household.updateOne({ code: 'H-2' }, { $set: { code: 'H-1' } }));
      expect(err.code).to.equal(11000);
      expect(err.keyValue).to.deep.equal({ code: 'H-1' });
      expect(await Household.countDocuments({ code: 'H-2' })).to.equal(1);
    });

    it('stops an ordered insertMany at the first duplicate and reports it', async () => {
      const err = await catchError(Household.insertMany([{ code: 'a' }, { code: 'b' }, { code: 'a' }, { code: 'c' }]));
      expect(err.code).to.equal(11000);
      expect(err.writeErrors ?? err.result?.getWriteErrors?.()).to.have.length(1);
      expect((await Household.find().lean()).map((d) => d.code).sort()).to.deep.equal(['a', 'b']);
    });

    it('inserts every other document of an unordered insertMany', async () => {
      const err = await catchError(Household.insertMany([{ code: 'a' }, { code: 'a' }, { code: 'b' }, { code: 'b' }, { code: 'c' }], { ordered: false }));
      expect(err.code).to.equal(11000);
      const writeErrors = err.writeErrors ?? err.result?.getWriteErrors?.();
      expect(writeErrors.map((e: any) => e.index)).to.deep.equal([1, 3]);
      expect((await Household.find().lean()).map((d) => d.code).sort()).to.deep.equal(['a', 'b', 'c']);
    });

    it('lets only one document lack the field of a non-sparse unique index', async () => {
      await Household.create({ regionCode: 'x' });
      const err = await catchError(Household.create({ regionCode: 'y' }));
      expect(err.code).to.equal(11000);
      expect(err.keyValue).to.deep.equal({ code: null });
    });
  });

  describe('compound and partial unique index on regionCode + group', () => {
    it('refuses the same pair and accepts pairs that differ in one field', async () => {
      await Household.create({ code: 'c1', regionCode: 'R1', group: '一组' });
      await Household.create({ code: 'c2', regionCode: 'R1', group: '二组' });
      await Household.create({ code: 'c3', regionCode: 'R2', group: '一组' });
      const err = await catchError(Household.create({ code: 'c4', regionCode: 'R1', group: '一组' }));
      expect(err.code).to.equal(11000);
      expect(err.keyPattern).to.deep.equal({ regionCode: 1, group: 1 });
      expect(err.keyValue).to.deep.equal({ regionCode: 'R1', group: '一组' });
    });

    it('ignores documents outside the partial filter', async () => {
      await Household.create({ code: 'p1', regionCode: 'R1' });
      await Household.create({ code: 'p2', regionCode: 'R1' });
      expect(await Household.countDocuments({ regionCode: 'R1' })).to.equal(2);
    });
  });

  describe('unique multikey index on members.idNumber', () => {
    it('CASE 1: refuses the same person in two households', async () => {
      await Household.create({ code: 'm1', members: [{ name: '张三', idNumber: '11010519491231002X' }, { name: '李四', idNumber: '110105195001010011' }] });
      const err = await catchError(Household.create({ code: 'm2', members: [{ name: '张三', idNumber: '11010519491231002X' }] }));
      expect(err.code).to.equal(11000);
      expect(err.keyPattern).to.deep.equal({ 'members.idNumber': 1 });
      expect(err.keyValue).to.deep.equal({ 'members.idNumber': '11010519491231002X' });
      expect(await Household.countDocuments({ code: 'm2' })).to.equal(0);
    });

    it('CASE 2: accepts the same ID number twice inside one household', async () => {
      await Household.create({ code: 'm1', members: [{ name: 'a', idNumber: 'SAME' }, { name: 'b', idNumber: 'SAME' }] });
      expect(await Household.countDocuments({ 'members.idNumber': 'SAME' })).to.equal(1);
    });

    it('keys a household of many members, repeated ID numbers among them, once per ID number', async () => {
      // Past 16 values a field's keys are deduplicated by a Set instead of a scan (indexes.ts).
      const members = Array.from({ length: 40 }, (_, i) => ({ name: `m${i}`, idNumber: `BIG${i % 25}` }));
      await Household.create({ code: 'm1', members });
      expect(await Household.countDocuments({ 'members.idNumber': 'BIG24' })).to.equal(1);
      const err = await catchError(Household.create({ code: 'm2', members: [{ name: 'x', idNumber: 'BIG7' }] }));
      expect(err.code).to.equal(11000);
      expect(err.keyValue).to.deep.equal({ 'members.idNumber': 'BIG7' });
      await Household.updateOne({ code: 'm1' }, { $set: { members: members.slice(0, 5) } });
      await Household.create({ code: 'm2', members: [{ name: 'x', idNumber: 'BIG7' }] });
      expect(await Household.countDocuments({ 'members.idNumber': 'BIG7' })).to.equal(1);
    });

    it('CASE 3: refuses pushing a member who is already in another household', async () => {
      await Household.create({ code: 'm1', members: [{ name: '张三', idNumber: '11010519491231002X' }] });
      await Household.create({ code: 'm2', members: [{ name: '王五', idNumber: '420105198001010015' }] });
      const err = await catchError(Household.updateOne({ code: 'm2' }, { $push: { members: { name: '张三', idNumber: '11010519491231002X' } } }));
      expect(err.code).to.equal(11000);
      expect((await Household.findOne({ code: 'm2' }).lean())!.members).to.have.length(1);
    });

    it('frees an ID number once the member is removed from the first household', async () => {
      await Household.create({ code: 'm1', members: [{ name: '张三', idNumber: 'MOVE' }] });
      await Household.updateOne({ code: 'm1' }, { $pull: { members: { idNumber: 'MOVE' } } });
      await Household.create({ code: 'm2', members: [{ name: '张三', idNumber: 'MOVE' }] });
      expect(await Household.countDocuments({ 'members.idNumber': 'MOVE' })).to.equal(1);
    });

    it('CASE 4: accepts many households without members because the index is sparse', async () => {
      await Household.create([{ code: 'e1' }, { code: 'e2' }, { code: 'e3' }]);
      expect(await Household.countDocuments()).to.equal(3);
    });

    it('CASE 4: refuses a second household without members when the index is not sparse', async () => {
      await raw().createIndex({ 'members.idNumber': 1 }, { unique: true });
      await raw().insertOne({ code: 'e1' });
      const err = await catchError(raw().insertOne({ code: 'e2' }));
      expect(err.code).to.equal(11000);
    });
  });

  describe('index management', () => {
    it('lists the indexes Mongoose declared, with their options', async () => {
      const indexes = await Household.listIndexes();
      const byName = Object.fromEntries(indexes.map((ix: any) => [ix.name, ix]));
      expect(Object.keys(byName).sort()).to.deep.equal(['_id_', 'code_1', 'members.idNumber_1', 'regionCode_1_group_1'].sort());
      expect(byName._id_.key).to.deep.equal({ _id: 1 });
      expect(byName.code_1.unique).to.equal(true);
      expect(byName['members.idNumber_1'].sparse).to.equal(true);
      expect(byName.regionCode_1_group_1.key).to.deep.equal({ regionCode: 1, group: 1 });
      expect(byName.regionCode_1_group_1.partialFilterExpression).to.deep.equal({ group: { $exists: true } });
    });

    it('lets Mongoose syncIndexes drop an undeclared index and create the declared ones', async () => {
      await Household.collection.createIndex({ status: 1 }, { name: 'status_1' });
      await Household.collection.dropIndex('code_1');
      const dropped = await Household.syncIndexes();
      expect(dropped).to.deep.equal(['status_1']);
      const names = (await Household.listIndexes()).map((ix: any) => ix.name).sort();
      expect(names).to.deep.equal(['_id_', 'code_1', 'members.idNumber_1', 'regionCode_1_group_1'].sort());
      expect(await Household.diffIndexes()).to.deep.equal({ toDrop: [], toCreate: [] });
    });

    it('creates an index idempotently and refuses the same name with other options (85/86)', async () => {
      await raw().createIndex({ k: 1 }, { name: 'k_1' });
      await raw().createIndex({ k: 1 }, { name: 'k_1' });
      const err = await catchError(raw().createIndex({ k: 1 }, { name: 'k_1', unique: true }));
      expect([85, 86]).to.include(err.code);
    });

    it('drops one index by name, then all but _id', async () => {
      await raw().createIndex({ a: 1 }, { unique: true });
      await raw().createIndex({ b: -1 });
      await raw().dropIndex('a_1');
      let names = (await raw().listIndexes().toArray()).map((ix) => ix.name).sort();
      expect(names).to.deep.equal(['_id_', 'b_-1']);
      await raw().insertMany([{ a: 1 }, { a: 1 }]);
      await raw().dropIndexes();
      names = (await raw().listIndexes().toArray()).map((ix) => ix.name);
      expect(names).to.deep.equal(['_id_']);
    });

    it('refuses to drop an index that does not exist with IndexNotFound (27)', async () => {
      await raw().insertOne({ a: 1 });
      const err = await catchError(raw().dropIndex('nope_1'));
      expect(err.code).to.equal(27);
    });

    it('refuses to create a unique index over data that violates it, and leaves no index behind', async () => {
      await raw().insertMany([{ k: 'x' }, { k: 'y' }, { k: 'x' }]);
      const err = await catchError(raw().createIndex({ k: 1 }, { unique: true }));
      expect(err.code).to.equal(11000);
      const names = (await raw().listIndexes().toArray()).map((ix) => ix.name);
      expect(names).to.deep.equal(['_id_']);
      await raw().insertOne({ k: 'x' });
      expect(await raw().countDocuments({ k: 'x' })).to.equal(3);
    });

    it('keeps query results identical with and without an index', async () => {
      const { Double, Long } = mongoose.mongo;
      const docs: Record<string, unknown>[] = Array.from({ length: 300 }, (_, i) => ({ n: i % 17, tags: [`t${i % 5}`, `u${i % 3}`], s: `s${i}` }));
      // Mixed types and shapes: a double, a Long, a string, null, a missing field, an array of numbers.
      docs.push(
        { n: new Double(3), s: 'x-double' }, { n: Long.fromNumber(3), s: 'x-long' }, { n: '3', s: 'x-string' },
        { n: null, s: 'x-null' }, { s: 'x-missing' }, { n: [3, 40], s: 'x-array' }, { n: [], s: 'x-empty' },
        { n: 5, m: [{ k: 1 }, { k: 2 }], s: 'x-m12' }, { n: 6, m: [{ k: 2, j: 'a' }], s: 'x-m2' }, { m: { k: 1 }, s: 'x-m-doc' },
      );
      await raw().insertMany(docs);
      const filters: Record<string, unknown>[] = [
        { n: 3 }, { n: new Double(3) }, { n: { $gt: 10 } }, { n: { $in: [1, 2, 99] } }, { tags: 't2' }, { tags: { $in: ['t1', 'u2'] } },
        { n: { $gte: 5, $lt: 8 }, tags: 'u0' }, { $or: [{ n: 1 }, { tags: 't4' }] }, { n: { $ne: 3 } }, { n: null },
        { n: { $exists: false } }, { n: '3' }, { n: { $gt: 30 } }, { n: { $lte: 0 } }, { n: [] }, { n: { $type: 'string' } },
        { n: { $in: [null, 16] } }, { n: { $nin: [3, null] } }, { n: { $elemMatch: { $gt: 35 } } },
        { 'm.k': 1 }, { 'm.k': { $in: [2] } }, { m: { $elemMatch: { k: 2, j: 'a' } } }, { 'm.k': 2, n: 5 }, { tags: ['t1', 'u1'] },
        { n: [3, 40] }, { 'm.k': null }, { m: { k: 1 } },
      ];
      const before = await Promise.all(filters.map((f) => raw().find(f).sort({ s: 1 }).toArray()));
      await raw().createIndex({ n: 1 });
      await raw().createIndex({ tags: 1 });
      await raw().createIndex({ n: 1, tags: 1 });
      await raw().createIndex({ 'm.k': 1, n: -1 });
      await raw().createIndex({ m: 1 });
      const after = await Promise.all(filters.map((f) => raw().find(f).sort({ s: 1 }).toArray()));
      expect(after).to.deep.equal(before);
      // And the answers are MongoDB's: 18 plain 3s (i % 17 === 3 for i < 300), the double, the
      // Long and the array holding 3; null matches null and missing but not [].
      expect(after[0].length).to.equal(21);
      expect(after[9].map((d) => d.s).sort()).to.deep.equal(['x-m-doc', 'x-missing', 'x-null']);
      expect(after[14].map((d) => d.s)).to.deep.equal(['x-empty']);
    });

    it('treats numerically equal int32, double and Long as the same unique key', async () => {
      const { Double, Long } = mongoose.mongo;
      await raw().createIndex({ k: 1 }, { unique: true });
      await raw().insertOne({ k: 1 });
      expect((await catchError(raw().insertOne({ k: new Double(1) }))).code, 'double 1.0').to.equal(11000);
      expect((await catchError(raw().insertOne({ k: Long.fromNumber(1) }))).code, 'Long 1').to.equal(11000);
      await raw().insertOne({ k: '1' });
      expect(await raw().countDocuments({ k: new Double(1) }), 'the index finds int 1 by double 1.0').to.equal(1);
    });

    it('refuses a document whose array shares one element with another document', async () => {
      await raw().createIndex({ tags: 1 }, { unique: true });
      await raw().insertOne({ tags: ['a', 'b'] });
      const err = await catchError(raw().insertOne({ tags: ['c', 'b'] }));
      expect(err.code).to.equal(11000);
      expect(err.keyValue).to.deep.equal({ tags: 'b' });
    });

    it('treats missing fields of a compound unique index as null', async () => {
      await raw().createIndex({ a: 1, b: 1 }, { unique: true });
      await raw().insertOne({ a: 1 });
      await raw().insertOne({ a: 1, b: 2 });
      const err = await catchError(raw().insertOne({ a: 1, b: null }));
      expect(err.code).to.equal(11000);
      expect(err.keyValue).to.deep.equal({ a: 1, b: null });
    });

    it('keeps the documents updateMany changed before it hit a duplicate, as MongoDB does', async () => {
      // A multi-document update is not atomic in MongoDB: documents updated before the
      // failing one stay updated.
      await raw().createIndex({ k: 1 }, { unique: true });
      await raw().insertMany([{ _id: 1 as any, k: 1, g: 1 }, { _id: 2 as any, k: 2, g: 1 }, { _id: 3 as any, k: 3, g: 1 }]);
      const err = await catchError(raw().updateMany({ g: 1 }, { $set: { k: 5 } }));
      expect(err.code).to.equal(11000);
      expect(await raw().countDocuments({ k: 5 })).to.equal(1);
      expect(await raw().countDocuments()).to.equal(3);
    });

    it('counts only the statements that succeeded in an unordered bulk write with a duplicate', async () => {
      await raw().createIndex({ k: 1 }, { unique: true });
      await raw().insertMany([{ _id: 1 as any, k: 1 }, { _id: 2 as any, k: 2 }]);
      const err = await catchError(raw().bulkWrite([
        { updateOne: { filter: { _id: 1 }, update: { $set: { k: 2 } } } },
        { updateOne: { filter: { _id: 2 }, update: { $set: { x: 1 } } } },
        { insertOne: { document: { _id: 3, k: 3 } } },
        { insertOne: { document: { _id: 4, k: 4 } } },
      ] as any, { ordered: false }));
      expect(err.code).to.equal(11000);
      expect(err.writeErrors.map((e: any) => e.index).sort()).to.deep.equal([0]);
      expect(err.result.matchedCount, 'the failed update matched nothing that was written').to.equal(1);
      expect(err.result.modifiedCount).to.equal(1);
      expect(err.result.insertedCount).to.equal(2);
    });

    it('keeps unique index entries in step with updates and deletes', async () => {
      await raw().createIndex({ k: 1 }, { unique: true });
      await raw().insertMany([{ _id: 1 as any, k: 'a' }, { _id: 2 as any, k: 'b' }]);
      await raw().updateOne({ _id: 1 as any }, { $set: { k: 'c' } });
      await raw().insertOne({ _id: 3 as any, k: 'a' });
      await raw().deleteOne({ _id: 2 as any });
      await raw().insertOne({ _id: 4 as any, k: 'b' });
      expect(await raw().countDocuments()).to.equal(3);
    });
  });
});
