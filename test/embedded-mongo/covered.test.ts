// Counts and distinct values over one indexed field compared with strings or regular expressions
// are answered from the index's keys (src/embedded-mongo/covered.ts). Each answer here is checked
// against the same question asked in a form the index cannot answer (a full scan), so the two
// paths must agree on arrays, nulls, missing fields, other types and indexes that leave documents out.
import { expect } from 'chai';
import mongoose from 'mongoose';
import { dropCollectionsStartingWith } from '../helpers/db';

function coll(name: string) {
  return mongoose.connection.db!.collection<any>(name);
}

/** The same filter, made unanswerable by an index: an extra always-true condition on another field. */
const scanned = (filter: object) => ({ $and: [filter, { $or: [{ zzz: { $exists: false } }, { zzz: { $exists: true } }] }] });

const docs = [
  { _id: 1, region: '421199001001', tags: ['a', 'b'] },
  { _id: 2, region: '421199001002', tags: ['b'] },
  { _id: 3, region: '421199002001', tags: [] },
  { _id: 4, region: '421200001001', tags: 'a' },
  { _id: 5, region: null },
  { _id: 6 },
  { _id: 7, region: 421199001001, tags: [1, 'ab'] },
  { _id: 8, region: ['421199009001', '999999999999'], tags: ['c'] },
];

describe('counts and distinct values from an index', () => {
  before(async () => {
    await dropCollectionsStartingWith('compat_covered');
    await coll('compat_covered').insertMany(docs as any[]);
    await coll('compat_covered').createIndex({ region: 1 });
    await coll('compat_covered').createIndex({ tags: 1, _id: 1 });
    await coll('compat_covered_partial').insertMany(docs as any[]);
    await coll('compat_covered_partial').createIndex({ region: 1 }, { partialFilterExpression: { tags: { $exists: true } } });
    // No array values: here distinct is answered from the keys too.
    await coll('compat_covered_single').insertMany(docs.filter((d) => !Array.isArray(d.region)) as any[]);
    await coll('compat_covered_single').createIndex({ region: 1 });
  });

  const filters: [string, object][] = [
    ['a prefix regex', { region: /^421199/ }],
    ['$in of regexes', { region: { $in: [/^421199001/, /^4212/] } }],
    ['$in of strings and regexes', { region: { $in: ['421199002001', /^9999/] } }],
    ['$regex', { region: { $regex: /001$/ } }],
    ['a string', { region: '421199001002' }],
    ['a regex matching nothing', { region: /^5/ }],
    ['a multikey field', { tags: /^a/ }],
  ];

  for (const [name, filter] of filters) {
    it(`counts ${name} as a full scan does`, async () => {
      const expected = await coll('compat_covered').countDocuments(scanned(filter));
      expect(await coll('compat_covered').countDocuments(filter)).to.equal(expected);
      expect(await coll('compat_covered_partial').countDocuments(filter)).to.equal(expected);
      const [counted] = await coll('compat_covered').aggregate([{ $match: filter }, { $count: 'n' }]).toArray();
      expect(counted?.n ?? 0).to.equal(expected);
    });

    it(`lists the distinct values of ${name} as a full scan does`, async () => {
      const field = Object.keys(filter)[0];
      for (const name of ['compat_covered', 'compat_covered_single']) {
        const expected = (await coll(name).distinct(field, scanned(filter))).sort();
        expect((await coll(name).distinct(field, filter)).sort()).to.deep.equal(expected);
      }
    });
  }

  it('sees a transaction\'s own uncommitted writes', async () => {
    const session = await mongoose.connection.getClient().startSession();
    try {
      await session.withTransaction(async () => {
        await coll('compat_covered').insertOne({ _id: 100, region: '421199005005' } as any, { session });
        expect(await coll('compat_covered').countDocuments({ region: /^421199005/ }, { session })).to.equal(1);
        expect(await coll('compat_covered').distinct('region', { region: /^421199005/ }, { session })).to.deep.equal(['421199005005']);
        await session.abortTransaction();
      });
    } finally {
      await session.endSession();
    }
    expect(await coll('compat_covered').countDocuments({ region: /^421199005/ })).to.equal(0);
  });
});

// Equality on the first two fields of a compound index narrows a find to the ids under those
// two values (src/embedded-mongo/indexes.ts `lookupPair`). The answers must be a full scan's.
describe('finds narrowed by the first two fields of a compound index', () => {
  const results = [
    { _id: 1, runId: 'r1', categories: ['health', 'education'], code: 'a' },
    { _id: 2, runId: 'r1', categories: ['health'], code: 'b' },
    { _id: 3, runId: 'r1', categories: [], code: 'c' },
    { _id: 4, runId: 'r1', code: 'd' },
    { _id: 5, runId: 'r2', categories: ['health'], code: 'e' },
    { _id: 6, runId: 'r1', categories: null, code: 'f' },
    { _id: 7, runId: 'r1', categories: 'education', code: 'g' },
  ];

  before(async () => {
    for (const [name, options] of [['compat_pairs', {}], ['compat_pairs_sparse', { sparse: true }], ['compat_pairs_unique', { unique: true }]] as const) {
      await coll(name).insertMany(results as any[]);
      await coll(name).createIndex(name === 'compat_pairs_unique' ? { runId: 1, code: 1 } : { runId: 1, categories: 1, code: 1 }, options);
    }
  });

  const filters: [string, object][] = [
    ['one value each', { runId: 'r1', categories: 'health' }],
    ['a scalar field holding the value', { runId: 'r1', categories: 'education' }],
    ['$in on the second field', { runId: 'r1', categories: { $in: ['education', 'none'] } }],
    ['$in on both', { runId: { $in: ['r1', 'r2'] }, categories: { $in: ['health'] } }],
    ['null on the second field', { runId: 'r1', categories: null }],
    ['a third condition', { runId: 'r1', categories: 'health', code: { $gt: 'a' } }],
    ['a pair with no document', { runId: 'r3', categories: 'health' }],
  ];

  for (const [name, filter] of filters) {
    it(`finds ${name} as a full scan does`, async () => {
      for (const collection of ['compat_pairs', 'compat_pairs_sparse']) {
        const expected = (await coll(collection).find(scanned(filter)).sort({ code: 1 }).toArray()).map((d) => d._id);
        const found = (await coll(collection).find(filter).sort({ code: 1 }).toArray()).map((d) => d._id);
        expect(found, collection).to.deep.equal(expected);
      }
    });
  }

  for (const [name, filter] of filters) {
    it(`counts ${name} as a full scan does`, async () => {
      for (const collection of ['compat_pairs', 'compat_pairs_sparse']) {
        const expected = await coll(collection).countDocuments(scanned(filter));
        expect(await coll(collection).countDocuments(filter), collection).to.equal(expected);
      }
    });
  }

  it('finds by both fields of a two-field unique index', async () => {
    const found = await coll('compat_pairs_unique').find({ runId: 'r1', code: { $in: ['b', 'e', 'g'] } }).sort({ code: 1 }).toArray();
    expect(found.map((d) => d._id)).to.deep.equal([2, 7]);
    expect(await coll('compat_pairs_unique').countDocuments({ code: { $in: ['b', 'e', 'g'] }, runId: 'r1' })).to.equal(2);
  });
});
