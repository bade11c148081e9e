// Compatibility: honest limits (issue 2: "a command, stage or operator it does not support
// answers with MongoDB's error code (59 CommandNotFound, 115 CommandNotSupported, or the
// operator's own code) and a message naming the feature; never a silently wrong result").
//
// A real MongoDB supports most of these, so the engine-only cases are skipped when MONGODB_URI
// is set; the cases with a right answer (Decimal128 and Long arithmetic, an unknown command)
// accept either the right answer or the refusal and run against both.
import { expect } from 'chai';
import mongoose from 'mongoose';
import { dropCollectionsStartingWith, resetDatabase } from '../helpers/db';

const onRealMongo = Boolean(process.env.MONGODB_URI);

const placeSchema = new mongoose.Schema(
  { name: String, note: String, loc: { type: { type: String }, coordinates: [Number] } },
  { collection: 'compat_unsupported_places', autoIndex: false, autoCreate: false },
);
const Place = mongoose.model('CompatUnsupportedPlace', placeSchema);

function raw(name = 'compat_unsupported_raw') {
  return mongoose.connection.db!.collection<any>(name);
}

async function refusal(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  return expect.fail('the engine must refuse this, not answer it');
}

function expectRefusal(err: any, codes: number[], feature: RegExp): void {
  expect(err.name, String(err.stack)).to.match(/^Mongo(Server|ClientBulkWrite)Error$/);
  expect(codes, `code ${err.code} (${err.codeName}): ${err.message}`).to.include(err.code);
  expect(err.message).to.match(feature);
}

describe('embedded-mongo compatibility: unsupported features', () => {
  beforeEach(async function () {
    await resetDatabase();
    await dropCollectionsStartingWith('compat_unsupported_');
    await Place.insertMany([
      { name: 'Alpha', note: 'clinic', loc: { type: 'Point', coordinates: [114.9, 30.4] } },
      { name: 'alpha', note: 'school', loc: { type: 'Point', coordinates: [115.1, 30.5] } },
      { name: 'Beta', note: 'clinic school', loc: { type: 'Point', coordinates: [116, 31] } },
    ]);
  });

  it('answers an unknown command with CommandNotFound (59) naming it', async () => {
    const err = await refusal(mongoose.connection.db!.command({ frobnicate: 1 }));
    expect(err.code).to.equal(59);
    expect(err.codeName).to.equal('CommandNotFound');
    expect(err.message).to.include('frobnicate');
  });

  describe('engine-only refusals', () => {
    before(function () {
      if (onRealMongo) this.skip();
    });

    it('refuses $text with its error', async () => {
      const err = await refusal(Place.find({ $text: { $search: 'clinic' } }).lean());
      expectRefusal(err, [2, 27, 115], /\$text/);
    });

    it('refuses creating a text index', async () => {
      const err = await refusal(raw().createIndex({ note: 'text' }));
      expectRefusal(err, [2, 67, 115], /text/);
    });

    it('refuses $where', async () => {
      const err = await refusal(raw('compat_unsupported_places').find({ $where: 'this.name.length > 4' }).toArray());
      expectRefusal(err, [2, 115], /\$where/);
    });

    it('refuses $near', async () => {
      const err = await refusal(Place.find({
        loc: { $near: { $geometry: { type: 'Point', coordinates: [115, 30.5] }, $maxDistance: 50_000 } },
      }).lean());
      expectRefusal(err, [2, 115, 291], /\$near|geo/i);
    });

    it('refuses $geoWithin rather than answering it wrongly', async () => {
      const err = await refusal(Place.find({
        loc: { $geoWithin: { $centerSphere: [[115, 30.5], 0.01] } },
      }).lean());
      expectRefusal(err, [2, 115], /\$geoWithin|geo/i);
    });

    it('refuses the $geoNear stage', async () => {
      const err = await refusal(Place.aggregate([
        { $geoNear: { near: { type: 'Point', coordinates: [115, 30.5] }, distanceField: 'd', spherical: true } },
      ]));
      expectRefusal(err, [115, 40324, 291], /\$geoNear|geo/i);
    });

    it('refuses creating a 2dsphere index', async () => {
      const err = await refusal(raw().createIndex({ loc: '2dsphere' }));
      expectRefusal(err, [2, 67, 115], /2dsphere|geo/i);
    });

    it('refuses watch() (change streams)', async () => {
      const stream = raw('compat_unsupported_places').watch();
      try {
        const err = await refusal(stream.tryNext());
        expectRefusal(err, [115, 40324, 40573], /\$changeStream|change stream/i);
      } finally {
        await stream.close().catch(() => undefined);
      }
    });

    it('refuses watch() through Mongoose', async () => {
      const stream = Place.watch();
      try {
        const err = await new Promise<any>((resolve) => {
          stream.once('error', resolve);
          stream.once('change', () => resolve(undefined));
          Place.create({ name: 'Gamma' }).catch(() => undefined);
        });
        expect(err, 'the change stream must fail').to.not.equal(undefined);
        expectRefusal(err, [115, 40324, 40573], /\$changeStream|change stream/i);
      } finally {
        await stream.close().catch(() => undefined);
      }
    });

    it('refuses $out and writes nothing', async () => {
      const err = await refusal(Place.aggregate([{ $match: {} }, { $out: 'compat_unsupported_out' }]));
      expectRefusal(err, [115, 40324], /\$out/);
      expect(await raw('compat_unsupported_out').countDocuments()).to.equal(0);
    });

    it('refuses $merge and writes nothing', async () => {
      const err = await refusal(Place.aggregate([{ $match: {} }, { $merge: { into: 'compat_unsupported_merge' } }]));
      expectRefusal(err, [115, 40324], /\$merge/);
      expect(await raw('compat_unsupported_merge').countDocuments()).to.equal(0);
    });

    it('refuses explain', async () => {
      const err = await refusal(Place.find({ name: 'Alpha' }).explain());
      expectRefusal(err, [59, 115], /explain/);
    });

    it('refuses a non-simple collation on find instead of matching case-sensitively', async () => {
      const err = await refusal(Place.find({ name: 'alpha' }).collation({ locale: 'en', strength: 2 }).lean());
      expectRefusal(err, [2, 115], /collation/i);
    });

    it('refuses a non-simple collation on aggregate, update and createIndex', async () => {
      expectRefusal(await refusal(Place.aggregate([{ $sort: { name: 1 } }]).collation({ locale: 'zh' })), [2, 115], /collation/i);
      expectRefusal(
        await refusal(raw('compat_unsupported_places').updateMany({ name: 'alpha' }, { $set: { hit: true } }, { collation: { locale: 'en', strength: 1 } })),
        [2, 115], /collation/i,
      );
      expect(await raw('compat_unsupported_places').countDocuments({ hit: true }), 'the refused update wrote nothing').to.equal(0);
      expectRefusal(await refusal(raw().createIndex({ name: 1 }, { collation: { locale: 'fr' } })), [2, 67, 115], /collation/i);
    });

    it('accepts the simple collation', async () => {
      const docs = await Place.find({ name: 'alpha' }).collation({ locale: 'simple' }).lean();
      expect(docs.map((d) => d.name)).to.deep.equal(['alpha']);
    });

    it('refuses collection kinds it does not have: capped, validated, time series and views', async () => {
      const db = mongoose.connection.db!;
      const cases: Array<[string, Record<string, unknown>, RegExp]> = [
        ['compat_unsupported_capped', { capped: true, size: 4096 }, /capped/i],
        ['compat_unsupported_validated', { validator: { a: { $type: 'int' } } }, /valid/i],
        ['compat_unsupported_series', { timeseries: { timeField: 't' } }, /time ?series/i],
        ['compat_unsupported_view', { viewOn: 'compat_unsupported_places', pipeline: [] }, /view/i],
      ];
      for (const [name, options, feature] of cases) {
        expectRefusal(await refusal(db.createCollection(name, options)), [115], feature);
      }
      const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
      expect(names.filter((n) => cases.some(([c]) => c === n)), 'no half-made collection is left').to.deep.equal([]);
    });

    it('refuses the statistics and maintenance commands it does not implement', async () => {
      const db = mongoose.connection.db!;
      for (const command of [{ dbStats: 1 }, { collStats: 'compat_unsupported_places' }, { validate: 'compat_unsupported_places' }, { collMod: 'compat_unsupported_places' }]) {
        expectRefusal(await refusal(db.command(command)), [59, 115], new RegExp(Object.keys(command)[0]));
      }
    });

    it('refuses mapReduce', async () => {
      const err = await refusal(mongoose.connection.db!.command({
        mapReduce: 'compat_unsupported_places', map: 'function () { emit(this.note, 1); }',
        reduce: 'function (k, v) { return Array.sum(v); }', out: { inline: 1 },
      }));
      expectRefusal(err, [59, 115], /mapReduce/i);
    });

    it('refuses client.bulkWrite with CommandNotFound (59) or CommandNotSupported (115)', async () => {
      // Driver 7.8 sends client.bulkWrite without checking maxWireVersion; MongoDB 7.0 (wire 21,
      // what the engine advertises) has no bulkWrite command and answers 59; the issue allows 115
      // for a command the engine knows but does not support. The driver wraps the server error.
      const client = mongoose.connection.getClient();
      const ns = `${mongoose.connection.db!.databaseName}.compat_unsupported_raw`;
      const err = await refusal(client.bulkWrite([{ name: 'insertOne', namespace: ns, document: { a: 1 } as any }]));
      const cause = err.cause ?? err;
      expect([59, 115], cause.message).to.include(cause.code);
      expect(cause.message).to.match(/bulkWrite/);
      expect(await raw().countDocuments()).to.equal(0);
    });
  });

  describe('arithmetic that must be right or refused', () => {
    const { Decimal128, Long } = mongoose.mongo;

    it('adds Decimal128 exactly with $inc, or refuses it and leaves the value alone', async () => {
      await raw().insertOne({ _id: 'dec' as any, amount: Decimal128.fromString('1.10') });
      let err: any;
      try {
        await raw().updateOne({ _id: 'dec' as any }, { $inc: { amount: Decimal128.fromString('0.20') } });
      } catch (e) {
        err = e;
      }
      const doc = await raw().findOne({ _id: 'dec' as any });
      if (err) {
        expectRefusal(err, [2, 14, 115], /decimal/i);
        expect(doc!.amount.toString(), 'a refused update changes nothing').to.equal('1.10');
      } else {
        expect(doc!.amount).to.be.instanceOf(Decimal128);
        expect(doc!.amount.toString()).to.equal('1.30');
      }
    });

    it('sums Decimal128 exactly with $sum, or refuses it', async () => {
      await raw().insertMany([
        { k: 'd', v: Decimal128.fromString('0.1') }, { k: 'd', v: Decimal128.fromString('0.2') },
      ]);
      let rows: any[] | undefined;
      let err: any;
      try {
        rows = await raw().aggregate([{ $match: { k: 'd' } }, { $group: { _id: null, total: { $sum: '$v' } } }]).toArray();
      } catch (e) {
        err = e;
      }
      if (err) {
        expectRefusal(err, [2, 14, 115], /decimal/i);
      } else {
        expect(rows![0].total).to.be.instanceOf(Decimal128);
        expect(rows![0].total.toString()).to.equal('0.3');
      }
    });

    it('sums Long values with $sum, or refuses it', async () => {
      await raw().insertMany([
        { k: 'l', v: Long.fromString('4000000000') }, { k: 'l', v: Long.fromString('5000000000') }, { k: 'l', v: 1 },
      ]);
      let rows: any[] | undefined;
      let err: any;
      try {
        rows = await raw().aggregate([{ $match: { k: 'l' } }, { $group: { _id: null, total: { $sum: '$v' } } }], { promoteLongs: false }).toArray();
      } catch (e) {
        err = e;
      }
      if (err) {
        expectRefusal(err, [2, 14, 115], /long|int64|64-bit/i);
      } else {
        expect(String(rows![0].total)).to.equal('9000000001');
      }
    });

    it('increments a Long with $inc without losing precision, or refuses it', async () => {
      await raw().insertOne({ _id: 'long' as any, n: Long.fromString('9007199254740993') });
      let err: any;
      try {
        await raw().updateOne({ _id: 'long' as any }, { $inc: { n: 2 } });
      } catch (e) {
        err = e;
      }
      const doc = await raw().findOne({ _id: 'long' as any }, { promoteLongs: false });
      if (err) {
        expectRefusal(err, [2, 14, 115], /long|int64|64-bit/i);
        expect(doc!.n.toString()).to.equal('9007199254740993');
      } else {
        expect(doc!.n.toString()).to.equal('9007199254740995');
      }
    });
  });
});
