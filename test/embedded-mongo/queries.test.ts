// Compatibility: query filters on nested and array fields (issue 2, "filters on nested and array
// fields"). Expected results follow MongoDB's documented semantics; each subtle case says why.
import { expect } from 'chai';
import mongoose from 'mongoose';
import { dropCollectionsStartingWith, resetDatabase } from '../helpers/db';

const memberSchema = new mongoose.Schema(
  { name: String, idNumber: String, health: String, age: Number, relation: String },
  { _id: false },
);
const householdSchema = new mongoose.Schema(
  {
    code: String,
    status: String,
    regionCode: String,
    // default: undefined keeps Mongoose from writing empty arrays, so "missing" stays missing.
    tags: { type: [String], default: undefined },
    scores: { type: [Number], default: undefined },
    income: { wage: Number, transfer: Number },
    monitoring: { type: { type: String }, risks: { type: [String], default: undefined } },
    identifiedAt: Date,
    note: mongoose.Schema.Types.Mixed,
    members: { type: [memberSchema], default: undefined },
  },
  { collection: 'compat_query_households', autoIndex: false, autoCreate: false },
);
const Household = mongoose.model('CompatQueryHousehold', householdSchema);

async function codes(filter: Record<string, unknown>): Promise<string[]> {
  const docs = await Household.find(filter).select({ code: 1 }).lean();
  return docs.map((d) => d.code as string).sort();
}

describe('embedded-mongo compatibility: queries', () => {
  before(async () => {
    await resetDatabase();
    await dropCollectionsStartingWith('compat_query_');
    await Household.insertMany([
      {
        code: 'h1', status: 'poor', regionCode: '421122001001', tags: ['illness', 'skills'], scores: [1, 9],
        income: { wage: 12000, transfer: 2400 }, monitoring: { type: 'unstable', risks: ['illness'] },
        identifiedAt: new Date('2014-10-01'), note: 'first',
        members: [
          { name: '张三', idNumber: '11010519491231002X', health: 'chronic', age: 74, relation: 'head' },
          { name: '李四', idNumber: '110105195001010011', health: 'healthy', age: 30, relation: 'spouse' },
        ],
      },
      {
        code: 'h2', status: 'exited', regionCode: '421122001002', tags: ['funds'], scores: [5],
        income: { wage: 30000, transfer: 0 },
        identifiedAt: new Date('2016-03-15'), note: null,
        members: [
          { name: '王五', idNumber: '420105198001010015', health: 'serious', age: 20, relation: 'head' },
          { name: '赵六', idNumber: '420105200501010012', health: 'chronic', age: 80, relation: 'father' },
        ],
      },
      {
        code: 'h3', status: 'poor', regionCode: '421123001001', tags: [], scores: [],
        income: { wage: 0 }, monitoring: { type: 'sudden', risks: ['disaster', 'accident'] },
        identifiedAt: new Date('2020-01-01'), note: 42,
        members: [],
      },
      {
        code: 'h4', status: 'returned', regionCode: '421122002001',
        note: { nested: { deep: 'yes' } },
        members: [{ name: 'Alice', idNumber: '110105199001010018', health: 'healthy', age: 35, relation: 'head' }],
      },
    ]);
  });

  it('matches a dotted path into an embedded document', async () => {
    expect(await codes({ 'income.wage': { $gte: 12000 } })).to.deep.equal(['h1', 'h2']);
    expect(await codes({ 'monitoring.type': 'sudden' })).to.deep.equal(['h3']);
  });

  it('matches an exact embedded document only with the same fields in the same order', async () => {
    // The raw driver, so that Mongoose's casting cannot reorder the filter's fields.
    const coll = mongoose.connection.db!.collection('compat_query_households');
    expect(await coll.countDocuments({ income: { wage: 12000, transfer: 2400 } })).to.equal(1);
    expect(await coll.countDocuments({ income: { transfer: 2400, wage: 12000 } }), 'field order matters').to.equal(0);
  });

  it('matches a scalar against any element of an array', async () => {
    expect(await codes({ tags: 'skills' })).to.deep.equal(['h1']);
    expect(await codes({ 'monitoring.risks': 'accident' })).to.deep.equal(['h3']);
  });

  it('matches a whole array exactly', async () => {
    expect(await codes({ tags: ['illness', 'skills'] })).to.deep.equal(['h1']);
    expect(await codes({ tags: ['skills', 'illness'] })).to.deep.equal([]);
    expect(await codes({ tags: [] })).to.deep.equal(['h3']);
  });

  it('matches a dotted path through an array of embedded documents', async () => {
    expect(await codes({ 'members.health': 'serious' })).to.deep.equal(['h2']);
    expect(await codes({ 'members.idNumber': '11010519491231002X' })).to.deep.equal(['h1']);
  });

  it('matches an array position with a numeric path segment', async () => {
    expect(await codes({ 'members.0.relation': 'head' })).to.deep.equal(['h1', 'h2', 'h4']);
    expect(await codes({ 'members.1.health': 'chronic' })).to.deep.equal(['h2']);
    expect(await codes({ 'scores.1': 9 })).to.deep.equal(['h1']);
  });

  it('lets different members satisfy different conditions without $elemMatch', async () => {
    // CASE 1: h2 has a member aged 20 (healthy? no, serious) and another who is chronic.
    // Without $elemMatch, any member may satisfy each condition separately.
    expect(await codes({ 'members.health': 'chronic', 'members.age': { $lt: 25 } })).to.deep.equal(['h2']);
  });

  it('requires one member to satisfy every condition with $elemMatch', async () => {
    expect(await codes({ members: { $elemMatch: { health: 'chronic', age: { $lt: 25 } } } })).to.deep.equal([]);
    expect(await codes({ members: { $elemMatch: { health: 'chronic', age: { $gt: 70 } } } })).to.deep.equal(['h1', 'h2']);
  });

  it('applies a range to a single element of a scalar array only with $elemMatch', async () => {
    // scores [1, 9]: 1 < 6 and 9 > 4, so the plain range matches; no single element is in (4, 6).
    expect(await codes({ scores: { $gt: 4, $lt: 6 } })).to.deep.equal(['h1', 'h2']);
    expect(await codes({ scores: { $elemMatch: { $gt: 4, $lt: 6 } } })).to.deep.equal(['h2']);
  });

  it('matches $in and $nin, including against arrays', async () => {
    expect(await codes({ status: { $in: ['exited', 'returned'] } })).to.deep.equal(['h2', 'h4']);
    expect(await codes({ tags: { $in: ['funds', 'skills'] } })).to.deep.equal(['h1', 'h2']);
    expect(await codes({ status: { $nin: ['poor'] } })).to.deep.equal(['h2', 'h4']);
    // $nin also matches documents without the field.
    expect(await codes({ tags: { $nin: ['illness'] } })).to.deep.equal(['h2', 'h3', 'h4']);
    expect(await codes({ 'members.idNumber': { $in: ['420105200501010012', 'nobody'] } })).to.deep.equal(['h2']);
  });

  it('tells a missing field from a null one with $exists, and matches both with null', async () => {
    expect(await codes({ monitoring: { $exists: true } })).to.deep.equal(['h1', 'h3']);
    expect(await codes({ monitoring: { $exists: false } })).to.deep.equal(['h2', 'h4']);
    expect(await codes({ note: { $exists: true } })).to.deep.equal(['h1', 'h2', 'h3', 'h4']);
    expect(await codes({ note: null }), 'null matches null and missing').to.deep.equal(['h2']);
    expect(await codes({ 'income.transfer': null })).to.deep.equal(['h3', 'h4']);
    expect(await codes({ 'income.transfer': { $exists: true } })).to.deep.equal(['h1', 'h2']);
    expect(await codes({ 'members.0': { $exists: true } }), 'non-empty arrays').to.deep.equal(['h1', 'h2', 'h4']);
  });

  it('matches $regex with anchors, options and Chinese text', async () => {
    expect(await codes({ regionCode: { $regex: '^421122' } })).to.deep.equal(['h1', 'h2', 'h4']);
    expect(await codes({ regionCode: /^421122/ })).to.deep.equal(['h1', 'h2', 'h4']);
    expect(await codes({ 'members.name': { $regex: '^alice$', $options: 'i' } })).to.deep.equal(['h4']);
    expect(await codes({ 'members.name': /^alice$/ }), 'case-sensitive without i').to.deep.equal([]);
    expect(await codes({ 'members.name': /^[张王]/ })).to.deep.equal(['h1', 'h2']);
    expect(await codes({ tags: /^ill/ }), 'a regex matches any array element').to.deep.equal(['h1']);
    expect(await codes({ status: { $not: /^p/ } })).to.deep.equal(['h2', 'h4']);
  });

  it('does not compare across BSON types in ranges', async () => {
    // note holds a string, null, 42 and a document: $gt 0 only matches the number.
    expect(await codes({ note: { $gt: 0 } })).to.deep.equal(['h3']);
    expect(await codes({ note: { $gte: '' } })).to.deep.equal(['h1']);
    expect(await codes({ note: { $type: 'object' } })).to.deep.equal(['h4']);
    expect(await codes({ note: { $type: 'null' } })).to.deep.equal(['h2']);
    expect(await codes({ note: { $type: 'number' } })).to.deep.equal(['h3']);
  });

  it('matches a dotted path into a Mixed value', async () => {
    expect(await codes({ 'note.nested.deep': 'yes' })).to.deep.equal(['h4']);
  });

  it('combines $and, $or, $nor and $ne', async () => {
    expect(await codes({ $or: [{ status: 'exited' }, { 'income.wage': 0 }] })).to.deep.equal(['h2', 'h3']);
    expect(await codes({ $and: [{ status: 'poor' }, { tags: 'illness' }] })).to.deep.equal(['h1']);
    expect(await codes({ $nor: [{ status: 'poor' }, { status: 'exited' }] })).to.deep.equal(['h4']);
    // $ne on an array field excludes documents where any element equals the value.
    expect(await codes({ 'members.health': { $ne: 'chronic' } })).to.deep.equal(['h3', 'h4']);
  });

  it('matches $size and $all on arrays', async () => {
    expect(await codes({ members: { $size: 2 } })).to.deep.equal(['h1', 'h2']);
    expect(await codes({ members: { $size: 0 } })).to.deep.equal(['h3']);
    expect(await codes({ 'monitoring.risks': { $all: ['accident', 'disaster'] } })).to.deep.equal(['h3']);
  });

  it('compares dates', async () => {
    expect(await codes({ identifiedAt: { $lt: new Date('2016-01-01') } })).to.deep.equal(['h1']);
    expect(await codes({ identifiedAt: { $gte: new Date('2016-03-15'), $lte: new Date('2020-01-01') } })).to.deep.equal(['h2', 'h3']);
  });

  it('evaluates $expr comparing two fields of the same document', async () => {
    expect(await codes({ $expr: { $gt: ['$income.wage', '$income.transfer'] } })).to.deep.equal(['h1', 'h2', 'h3']);
  });

  it('matches _id by ObjectId and by its hex string through Mongoose', async () => {
    const h1 = await Household.findOne({ code: 'h1' }).lean();
    expect((await Household.findById(String(h1!._id)).lean())!.code).to.equal('h1');
    expect(await codes({ _id: { $in: [h1!._id] } })).to.deep.equal(['h1']);
  });

  it('matches null on a dotted path through an array when an element lacks the field', async () => {
    // MongoDB: { 'm.b': null } matches a document if m.b is null or missing for the document
    // or for any element of the array m.
    const coll = mongoose.connection.db!.collection<any>('compat_query_nulls');
    await coll.insertMany([
      { _id: 1, m: [{ b: 1 }, { c: 2 }] }, { _id: 2, m: [{ b: 2 }] }, { _id: 3, m: [{ b: null }] }, { _id: 4 },
    ]);
    const ids = async (f: Record<string, unknown>) => (await coll.find(f, { sort: { _id: 1 } }).toArray()).map((d) => d._id);
    expect(await ids({ 'm.b': null })).to.deep.equal([1, 3, 4]);
    expect(await ids({ 'm.b': { $in: [null, 2] } })).to.deep.equal([1, 2, 3, 4]);
    expect(await ids({ 'm.b': { $exists: false } }), '$exists false needs every element to lack it').to.deep.equal([4]);
    expect(await ids({ 'm.b': { $ne: null } })).to.deep.equal([2]);
  });

  it('refuses malformed filters with MongoDB\'s codes instead of answering nothing', async () => {
    const coll = mongoose.connection.db!.collection<any>('compat_query_households');
    const cases: Array<[Record<string, unknown>, number]> = [
      [{ $or: [] }, 2], // "$and/$or/$nor must be a nonempty array"
      [{ members: { $size: -1 } }, 2], // "$size may not be negative"
      [{ note: { $type: 'no-such-type' } }, 2], // "Unknown type name alias"
      [{ 'income.wage': { $mod: [0, 1] } }, 2], // "divisor cannot be 0"
      [{ status: { $frobnicate: 1 } }, 2], // "unknown operator"
      [{ $frobnicate: 1 }, 2], // "unknown top level operator"
      [{ $and: { status: 'poor' } }, 2], // "$and must be an array"
      [{ status: { $regex: '(' } }, 51091], // "Regular expression is invalid"
    ];
    const wrong: string[] = [];
    for (const [filter, code] of cases) {
      try {
        await coll.find(filter).toArray();
        wrong.push(`${JSON.stringify(filter)}: answered instead of failing with ${code}`);
      } catch (err: any) {
        if (err.code !== code) wrong.push(`${JSON.stringify(filter)}: code ${err.code}, expected ${code} (${err.message})`);
      }
    }
    expect(wrong).to.deep.equal([]);
  });

  it('never changes stored documents while answering queries', async () => {
    const before = await Household.find().sort({ code: 1 }).lean();
    await Household.find({ members: { $elemMatch: { health: 'chronic' } } }).select({ 'members.$': 1 }).lean();
    await Household.find({}).select({ members: { $slice: 1 } }).lean();
    const after = await Household.find().sort({ code: 1 }).lean();
    expect(after).to.deep.equal(before);
  });
});
