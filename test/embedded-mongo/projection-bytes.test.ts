// Compatibility: plain inclusion projections through the driver. The engine answers them with
// bytes copied out of the stored documents (bson-raw.ts `projectIncluded`); the results must be
// what the decoded projection gives (projection.ts `compileProjection` over the stored
// document with its numeric types), in every way a find reaches the documents:
//
// CASES
//  1. No sort: the matches' bytes are projected as they stream, with skip, limit and batches.
//  2. A sort: the sorted page's documents are read again and projected.
//  3. A filter the engine cannot narrow to fields ($expr) and a $natural sort: decoded matches
//     whose stored bytes are projected.
//  4. Inside a transaction, over a document only the transaction sees.
//  5. Mongoose `.select()` with `.lean()`.
import { expect } from 'chai';
import mongoose from 'mongoose';
import { serialize } from 'bson';
import { compileProjection } from '../../src/embedded-mongo/projection';
import { dropCollectionsStartingWith, resetDatabase } from '../helpers/db';

const { Decimal128, Double, Int32, Long, ObjectId } = mongoose.mongo;
const TYPED = { promoteValues: false, promoteLongs: false } as const;

const memberSchema = new mongoose.Schema({ name: String, idNumber: String, health: String }, { _id: false });
const householdSchema = new mongoose.Schema(
  { seq: Number, code: String, income: { wage: Number, other: Number }, members: [memberSchema] },
  { collection: 'compat_projbytes_model', autoIndex: false, autoCreate: false },
);
const Household = mongoose.model('CompatProjBytesHousehold', householdSchema);

function raw() {
  return mongoose.connection.db!.collection<any>('compat_projbytes_raw');
}

function household(seq: number): Record<string, unknown> {
  const members = Array.from({ length: seq % 4 }, (_, i) => ({
    name: `成员${seq}-${i}`, idNumber: `5101${seq}${i}`, birthDate: new Date(Date.UTC(1950 + i, seq % 12, 1)),
    health: i % 2 ? '残疾' : null, visits: [{ at: new Date(seq * 1000), note: '走访' }],
  }));
  return {
    _id: seq % 5 === 0 ? new ObjectId() : `h${seq}`,
    seq: new Int32(seq),
    code: `H${String(seq).padStart(4, '0')}`,
    income: seq % 3 === 0 ? { wage: new Double(seq * 100), other: Long.fromNumber(seq), total: Decimal128.fromString(`${seq}.50`) } : seq % 7 === 0 ? null : undefined,
    members: seq % 6 === 5 ? [] : [...members, seq % 4 === 2 ? '不是文档' : { name: null }],
    tags: seq % 2 ? ['a', ['b', { name: 'x' }]] : 'scalar',
    regionCode: seq % 2 ? '510101' : '510102',
  };
}

const PROJECTIONS: Record<string, unknown>[] = [
  { code: 1, regionCode: 1, 'members.idNumber': 1, 'members.birthDate': 1, 'members.health': 1, income: 1 },
  { 'income.wage': 1, 'income.total': true, _id: 0 },
  { 'tags.name': 1, seq: 1 },
  { 'members.visits.note': 1, _id: 1 },
  { 'members.0.name': 1, 'code.x': 1 },
  { nothing: 1 },
];

/** Each document as the driver decodes it with numeric types kept, encoded again: bytes to compare. */
function encoded(docs: unknown[]): string[] {
  return docs.map((d) => Buffer.from(serialize(d as Record<string, unknown>)).toString('hex'));
}

describe('embedded-mongo compatibility: plain inclusion projections answered from stored bytes', () => {
  let stored: Record<string, unknown>[];

  before(async () => {
    await resetDatabase();
    await dropCollectionsStartingWith('compat_projbytes_');
    // ignoreUndefined: a missing income stays missing (undefined would be stored as null).
    await raw().insertMany(Array.from({ length: 60 }, (_, i) => household(i)), { ignoreUndefined: true });
    stored = await raw().find({}, TYPED).toArray();
  });

  /** What the decoded projection gives for the stored documents `pick` selects, in that order. */
  function expected(projection: Record<string, unknown>, pick: (docs: Record<string, unknown>[]) => Record<string, unknown>[]): string[] {
    const project = compileProjection(projection)!;
    return encoded(pick(stored).map((d) => project(d)));
  }

  const bySeq = (dir: 1 | -1) => (docs: Record<string, unknown>[]) => [...docs].sort((a, b) => dir * (Number(a.seq) - Number(b.seq)));

  it('projects unsorted matches as they stream, with skip, limit and small batches (CASE 1)', async () => {
    for (const projection of PROJECTIONS) {
      const all = await raw().find({}, { ...TYPED, projection, batchSize: 7 }).toArray();
      expect(encoded(all), JSON.stringify(projection)).to.deep.equal(expected(projection, (d) => d));
      const page = await raw().find({ regionCode: '510101' }, { ...TYPED, projection, skip: 3, limit: 9 }).toArray();
      expect(encoded(page), JSON.stringify(projection)).to.deep.equal(expected(projection, (d) => d.filter((x) => x.regionCode === '510101').slice(3, 12)));
    }
  });

  it('projects a sorted page read again after the sort (CASE 2)', async () => {
    for (const projection of PROJECTIONS) {
      const page = await raw().find({ seq: { $gte: 10 } }, { ...TYPED, projection, sort: { seq: -1 }, skip: 5, limit: 12 }).toArray();
      expect(encoded(page), JSON.stringify(projection)).to.deep.equal(expected(projection, (d) => bySeq(-1)(d.filter((x) => Number(x.seq) >= 10)).slice(5, 17)));
    }
  });

  it('projects decoded matches from their stored bytes: $expr filter, $natural sort (CASE 3)', async () => {
    for (const projection of PROJECTIONS) {
      const sorted = await raw().find({ $expr: { $lt: ['$seq', 20] } }, { ...TYPED, projection, sort: { seq: 1 }, limit: 15 }).toArray();
      expect(encoded(sorted), JSON.stringify(projection)).to.deep.equal(expected(projection, (d) => bySeq(1)(d.filter((x) => Number(x.seq) < 20)).slice(0, 15)));
      const natural = await raw().find({}, { ...TYPED, projection, sort: { $natural: -1 }, limit: 4 }).toArray();
      expect(encoded(natural), JSON.stringify(projection)).to.deep.equal(expected(projection, (d) => [...d].reverse().slice(0, 4)));
    }
  });

  it('keeps a projected Double a Double, a Long a Long, a Decimal128 a Decimal128', async () => {
    const doc = await raw().findOne({ seq: 3 }, { ...TYPED, projection: { 'income.wage': 1, 'income.other': 1, 'income.total': 1, _id: 0 } });
    expect(Object.keys(doc!)).to.deep.equal(['income']);
    expect(doc!.income.wage).to.be.instanceOf(Double);
    expect(doc!.income.wage.valueOf()).to.equal(300);
    expect(doc!.income.other).to.be.instanceOf(Long);
    expect(doc!.income.total).to.be.instanceOf(Decimal128);
  });

  it('projects a document only a transaction sees (CASE 4)', async () => {
    const session = mongoose.connection.getClient().startSession();
    try {
      session.startTransaction();
      await raw().insertOne({ _id: 'txn', seq: new Int32(1000), income: { wage: new Double(5), other: 1 }, code: 'T' }, { session });
      const doc = await raw().findOne({ _id: 'txn' }, { ...TYPED, session, projection: { 'income.wage': 1 } });
      expect(encoded([doc])).to.deep.equal(encoded([{ _id: 'txn', income: { wage: new Double(5) } }]));
      const sorted = await raw().find({ seq: { $gte: 58 } }, { ...TYPED, session, projection: { code: 1, _id: 0 }, sort: { seq: -1 } }).toArray();
      expect(sorted).to.deep.equal([{ code: 'T' }, { code: 'H0059' }, { code: 'H0058' }]);
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
  });

  it('answers Mongoose select() with lean() as the decoded projection did (CASE 5)', async () => {
    await Household.insertMany([
      { seq: 1, code: 'A', income: { wage: 2.5, other: 1 }, members: [{ name: '张三', idNumber: '1', health: '健康' }, { name: '李四', idNumber: '2' }] },
      { seq: 2, code: 'B', members: [] },
    ]);
    const rows = await Household.find().select('code income.wage members.name -_id').sort({ seq: 1 }).lean();
    expect(rows).to.deep.equal([
      { code: 'A', income: { wage: 2.5 }, members: [{ name: '张三' }, { name: '李四' }] },
      { code: 'B', members: [] },
    ]);
    const one = await Household.findOne({ code: 'A' }).select({ 'members.idNumber': 1 }).lean();
    expect(Object.keys(one!)).to.deep.equal(['_id', 'members']);
    expect(one!.members).to.deep.equal([{ idNumber: '1' }, { idNumber: '2' }]);
  });
});
