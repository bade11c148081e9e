// Compatibility: aggregation pipelines (issue 2, "$match, $unwind, $group, $sort, $project,
// $lookup, $facet, $count"), the statistics the registry reports are made of.
import { expect } from 'chai';
import mongoose from 'mongoose';
import { dropCollectionsStartingWith, resetDatabase } from '../helpers/db';

const householdSchema = new mongoose.Schema(
  {
    code: String,
    regionCode: String,
    status: String,
    income: { wage: Number, transfer: Number },
    members: [{ _id: false, name: String, health: String, age: Number }],
  },
  { collection: 'compat_agg_households', autoIndex: false, autoCreate: false },
);
const Household = mongoose.model('CompatAggHousehold', householdSchema);

const regionSchema = new mongoose.Schema(
  { code: String, name: String },
  { collection: 'compat_agg_regions', autoIndex: false, autoCreate: false },
);
const Region = mongoose.model('CompatAggRegion', regionSchema);

describe('embedded-mongo compatibility: aggregation', () => {
  before(async () => {
    await resetDatabase();
    await dropCollectionsStartingWith('compat_agg_');
    await Region.insertMany([{ code: 'R1', name: '一村' }, { code: 'R2', name: '二村' }, { code: 'R3', name: '三村' }]);
    await Household.insertMany([
      {
        code: 'h1', regionCode: 'R1', status: 'poor', income: { wage: 1000, transfer: 200 },
        members: [{ name: 'a', health: 'chronic', age: 70 }, { name: 'b', health: 'healthy', age: 40 }],
      },
      {
        code: 'h2', regionCode: 'R1', status: 'exited', income: { wage: 5000, transfer: 0 },
        members: [{ name: 'c', health: 'healthy', age: 30 }, { name: 'd', health: 'healthy', age: 5 }, { name: 'e', health: 'serious', age: 60 }],
      },
      {
        code: 'h3', regionCode: 'R2', status: 'poor', income: { wage: 0, transfer: 3000 },
        members: [{ name: 'f', health: 'chronic', age: 80 }],
      },
      { code: 'h4', regionCode: 'R9', status: 'none', income: { wage: 100 }, members: [] },
    ]);
  });

  it('$match then $group with counts, sums, averages, min, max, $push and $addToSet', async () => {
    const rows = await Household.aggregate([
      { $match: { status: { $in: ['poor', 'exited'] } } },
      {
        $group: {
          _id: '$regionCode', households: { $sum: 1 }, wages: { $sum: '$income.wage' }, avgWage: { $avg: '$income.wage' },
          minWage: { $min: '$income.wage' }, maxWage: { $max: '$income.wage' }, codes: { $push: '$code' }, statuses: { $addToSet: '$status' },
        },
      },
      { $sort: { _id: 1 } },
    ]);
    expect(rows).to.have.length(2);
    expect(rows[0]).to.include({ _id: 'R1', households: 2, wages: 6000, avgWage: 3000, minWage: 1000, maxWage: 5000 });
    expect(rows[0].codes).to.deep.equal(['h1', 'h2']);
    expect(rows[0].statuses.sort()).to.deep.equal(['exited', 'poor']);
    expect(rows[1]).to.include({ _id: 'R2', households: 1, wages: 0 });
  });

  it('$unwind members then $group by health and $sort by count', async () => {
    const rows = await Household.aggregate([
      { $unwind: '$members' },
      { $group: { _id: '$members.health', count: { $sum: 1 } } },
      { $sort: { count: -1, _id: 1 } },
    ]);
    expect(rows).to.deep.equal([
      { _id: 'healthy', count: 3 }, { _id: 'chronic', count: 2 }, { _id: 'serious', count: 1 },
    ]);
  });

  it('$unwind keeps empty arrays with preserveNullAndEmptyArrays and numbers with includeArrayIndex', async () => {
    const rows = await Household.aggregate([
      { $match: { code: { $in: ['h3', 'h4'] } } },
      { $unwind: { path: '$members', preserveNullAndEmptyArrays: true, includeArrayIndex: 'i' } },
      { $project: { _id: 0, code: 1, name: '$members.name', i: 1 } },
      { $sort: { code: 1 } },
    ]);
    expect(rows).to.deep.equal([{ code: 'h3', name: 'f', i: 0 }, { code: 'h4', i: null }]);
  });

  it('groups everything with _id null', async () => {
    const [row] = await Household.aggregate([{ $group: { _id: null, n: { $sum: 1 }, transfer: { $sum: '$income.transfer' } } }]);
    expect(row).to.deep.equal({ _id: null, n: 4, transfer: 3200 });
  });

  it('groups by a compound key and by a computed expression', async () => {
    const rows = await Household.aggregate([
      { $unwind: '$members' },
      { $group: { _id: { region: '$regionCode', elderly: { $gte: ['$members.age', 60] } }, n: { $sum: 1 } } },
      { $sort: { '_id.region': 1, '_id.elderly': 1 } },
    ]);
    expect(rows).to.deep.equal([
      { _id: { region: 'R1', elderly: false }, n: 3 },
      { _id: { region: 'R1', elderly: true }, n: 2 },
      { _id: { region: 'R2', elderly: true }, n: 1 },
    ]);
  });

  it('$project computes fields with expressions', async () => {
    const rows = await Household.aggregate([
      { $match: { code: 'h1' } },
      {
        $project: {
          _id: 0, code: 1, total: { $add: ['$income.wage', '$income.transfer'] }, size: { $size: '$members' },
          perCapita: { $divide: [{ $add: ['$income.wage', '$income.transfer'] }, { $size: '$members' }] },
          label: { $concat: ['$regionCode', '-', '$code'] },
          poor: { $cond: [{ $eq: ['$status', 'poor'] }, true, false] },
          elderly: { $filter: { input: '$members', as: 'm', cond: { $gte: ['$$m.age', 60] } } },
        },
      },
    ]);
    expect(rows).to.deep.equal([{
      code: 'h1', total: 1200, size: 2, perCapita: 600, label: 'R1-h1', poor: true,
      elderly: [{ name: 'a', health: 'chronic', age: 70 }],
    }]);
  });

  it('$lookup joins on a local and a foreign field', async () => {
    const rows = await Household.aggregate([
      { $lookup: { from: 'compat_agg_regions', localField: 'regionCode', foreignField: 'code', as: 'region' } },
      { $project: { _id: 0, code: 1, regionName: { $first: '$region.name' }, matches: { $size: '$region' } } },
      { $sort: { code: 1 } },
    ]);
    expect(rows).to.deep.equal([
      { code: 'h1', regionName: '一村', matches: 1 },
      { code: 'h2', regionName: '一村', matches: 1 },
      { code: 'h3', regionName: '二村', matches: 1 },
      { code: 'h4', matches: 0 },
    ]);
  });

  it('$lookup with a pipeline and let variables', async () => {
    const rows = await Region.aggregate([
      {
        $lookup: {
          from: 'compat_agg_households', let: { rc: '$code' },
          pipeline: [{ $match: { $expr: { $eq: ['$regionCode', '$$rc'] } } }, { $count: 'n' }],
          as: 'stats',
        },
      },
      { $project: { _id: 0, code: 1, households: { $ifNull: [{ $first: '$stats.n' }, 0] } } },
      { $sort: { code: 1 } },
    ]);
    expect(rows).to.deep.equal([{ code: 'R1', households: 2 }, { code: 'R2', households: 1 }, { code: 'R3', households: 0 }]);
  });

  it('$facet runs several pipelines over the same input', async () => {
    const [row] = await Household.aggregate([
      { $match: { status: { $ne: 'none' } } },
      {
        $facet: {
          total: [{ $count: 'n' }],
          byStatus: [{ $group: { _id: '$status', n: { $sum: 1 } } }, { $sort: { _id: 1 } }],
          page: [{ $sort: { code: -1 } }, { $skip: 1 }, { $limit: 1 }, { $project: { _id: 0, code: 1 } }],
        },
      },
    ]);
    expect(row).to.deep.equal({
      total: [{ n: 3 }],
      byStatus: [{ _id: 'exited', n: 1 }, { _id: 'poor', n: 2 }],
      page: [{ code: 'h2' }],
    });
  });

  it('$count answers one document, and nothing when no input remains', async () => {
    expect(await Household.aggregate([{ $match: { status: 'poor' } }, { $count: 'n' }])).to.deep.equal([{ n: 2 }]);
    expect(await Household.aggregate([{ $match: { status: 'absent' } }, { $count: 'n' }])).to.deep.equal([]);
  });

  it('$sort, $skip and $limit page through the results', async () => {
    const rows = await Household.aggregate([{ $sort: { 'income.wage': -1 } }, { $skip: 1 }, { $limit: 2 }, { $project: { _id: 0, code: 1 } }]);
    expect(rows).to.deep.equal([{ code: 'h1' }, { code: 'h4' }]);
  });

  it('counts documents through countDocuments, which runs an aggregate', async () => {
    expect(await Household.countDocuments({ 'members.health': 'chronic' })).to.equal(2);
  });

  it('streams a large aggregate result through a cursor in batches', async () => {
    const coll = mongoose.connection.db!.collection('compat_agg_many');
    await coll.insertMany(Array.from({ length: 1500 }, (_, i) => ({ i, g: i % 3 })));
    let seen = 0;
    let last = -1;
    for await (const doc of coll.aggregate([{ $match: { g: 0 } }, { $sort: { i: 1 } }], { batchSize: 100 })) {
      expect(doc.i).to.be.greaterThan(last);
      last = doc.i;
      seen += 1;
    }
    expect(seen).to.equal(500);
  });

  it('never changes stored documents while computing $addFields or $set on dotted paths', async () => {
    const before = await Household.find().sort({ code: 1 }).lean();
    await Household.aggregate([
      { $addFields: { 'income.total': { $add: ['$income.wage', 1] }, 'members.flag': true } },
      { $set: { status: 'changed' } },
      { $unset: 'code' },
    ]);
    await Household.aggregate([{ $unwind: '$members' }, { $replaceRoot: { newRoot: '$members' } }, { $set: { name: 'zzz' } }]);
    const after = await Household.find().sort({ code: 1 }).lean();
    expect(after).to.deep.equal(before);
  });

  it('$push and $addToSet skip missing values and keep explicit nulls', async () => {
    const coll = mongoose.connection.db!.collection<any>('compat_agg_raw');
    await coll.insertMany([{ _id: 1, g: 'a' }, { _id: 2, g: null }, { _id: 3 }, { _id: 4, g: 'a' }]);
    const [row] = await coll.aggregate([
      { $sort: { _id: 1 } },
      { $group: { _id: null, pushed: { $push: '$g' }, set: { $addToSet: '$g' }, first: { $first: '$nope' } } },
    ]).toArray();
    expect(row.pushed).to.deep.equal(['a', null, 'a']);
    expect(row.set).to.have.length(2);
    expect(row.set).to.have.members(['a', null]);
    expect(row.first, '$first of a missing value is null').to.equal(null);
  });

  it('$project keeps _id first and the included fields in document order', async () => {
    const coll = mongoose.connection.db!.collection<any>('compat_agg_raw');
    await coll.insertOne({ _id: 'order', a: 1, b: 2, c: 3 });
    const [row] = await coll.aggregate([{ $match: { _id: 'order' } }, { $project: { c: 1, a: 1 } }]).toArray();
    expect(Object.keys(row)).to.deep.equal(['_id', 'a', 'c']);
    const [unwound] = await coll.aggregate([{ $match: { _id: 'order' } }, { $addFields: { t: [1] } }, { $unwind: '$t' }]).toArray();
    expect(Object.keys(unwound)).to.deep.equal(['_id', 'a', 'b', 'c', 't']);
  });

  it('refuses $limit 0 with 15958', async () => {
    let err: any;
    try {
      await Household.aggregate([{ $limit: 0 }]);
    } catch (e) {
      err = e;
    }
    expect(err?.code, '$limit 0 must be refused ("the limit must be positive")').to.equal(15958);
  });

  it('answers expression errors with MongoDB\'s codes', async () => {
    const coll = mongoose.connection.db!.collection<any>('compat_agg_raw');
    await coll.insertOne({ _id: 'e', n: 7, s: 'abc', z: 0 });
    const cases: Array<[Record<string, unknown>, number | number[]]> = [
      [{ $divide: ['$n', '$z'] }, [2, 16608]], // "can't $divide by zero" (16608 in older servers)
      [{ $add: ['$n', '$s'] }, 14], // TypeMismatch: "$add only supports numeric or date types"
      [{ $concat: ['a', '$n'] }, 16702], // "$concat only supports strings"
      [{ $toInt: '$s' }, 241], // ConversionFailure
      [{ $frobnicate: 1 }, 168], // InvalidPipelineOperator: "Unrecognized expression"
    ];
    const wrong: string[] = [];
    for (const [expr, code] of cases) {
      try {
        await coll.aggregate([{ $match: { _id: 'e' } }, { $addFields: { x: expr } }]).toArray();
        wrong.push(`${JSON.stringify(expr)}: answered instead of failing with ${code}`);
      } catch (err: any) {
        if (![code].flat().includes(err.code)) wrong.push(`${JSON.stringify(expr)}: code ${err.code}, expected ${code} (${err.message})`);
      }
    }
    expect(wrong).to.deep.equal([]);
  });

  it('measures strings in UTF-8 bytes and in code points', async () => {
    const coll = mongoose.connection.db!.collection<any>('compat_agg_raw');
    await coll.insertOne({ _id: 'zh', name: '张三丰' });
    const [row] = await coll.aggregate([
      { $match: { _id: 'zh' } },
      {
        $project: {
          _id: 0, bytes: { $strLenBytes: '$name' }, cps: { $strLenCP: '$name' },
          first: { $substrBytes: ['$name', 0, 3] }, second: { $substrCP: ['$name', 1, 1] },
          upper: { $toUpper: 'abc' }, split: { $split: ['a,b', ','] },
        },
      },
    ]).toArray();
    expect(row).to.deep.equal({ bytes: 9, cps: 3, first: '张', second: '三', upper: 'ABC', split: ['a', 'b'] });
  });

  it('computes ages with $dateDiff and dates in a time zone', async () => {
    const coll = mongoose.connection.db!.collection<any>('compat_agg_raw');
    await coll.insertOne({ _id: 'dt', born: new Date('1949-12-31T00:00:00Z'), at: new Date('2024-06-30T20:00:00Z') });
    const [row] = await coll.aggregate([
      { $match: { _id: 'dt' } },
      {
        $project: {
          _id: 0,
          years: { $dateDiff: { startDate: '$born', endDate: new Date('2024-06-30T00:00:00Z'), unit: 'year' } },
          local: { $dateToString: { format: '%Y-%m-%d', date: '$at', timezone: 'Asia/Shanghai' } },
          utc: { $dateToString: { format: '%Y-%m-%d', date: '$at' } },
        },
      },
    ]).toArray();
    // $dateDiff counts year boundaries crossed (2024 - 1949), not completed years.
    expect(row).to.deep.equal({ years: 75, local: '2024-07-01', utc: '2024-06-30' });
  });

  it('refuses an unknown pipeline stage with 40324', async () => {
    try {
      await Household.aggregate([{ $frobnicate: {} } as any]);
      expect.fail('an unknown stage must fail');
    } catch (err: any) {
      expect(err.code).to.equal(40324);
      expect(err.message).to.include('$frobnicate');
    }
  });
});
