// A sorted find holds only the sort and filter fields and the id of each match, and reads each
// returned document when its batch is sent (src/embedded-mongo/query.ts `reread`). These pin
// what that means for the documents returned.
import { expect } from 'chai';
import mongoose from 'mongoose';
import { dropCollectionsStartingWith } from '../helpers/db';

function coll(name: string) {
  return mongoose.connection.db!.collection<any>(name);
}

describe('sorted finds', () => {
  beforeEach(() => dropCollectionsStartingWith('compat_sorted'));

  it('return whole documents in order, whatever the type of their ids', async () => {
    const docs = [
      { _id: 3, code: 'c', region: 'r1', note: 'three' },
      { _id: 'one', code: 'a', region: 'r1', note: 'one' },
      { _id: new mongoose.Types.ObjectId(), code: 'b', region: 'r1', note: 'two' },
      { _id: 4.5, code: 'd', region: 'r2', note: 'four' },
    ];
    await coll('compat_sorted').insertMany(docs);
    const found = await coll('compat_sorted').find({ region: 'r1' }).sort({ code: 1 }).toArray();
    expect(found.map((d) => d.note)).to.deep.equal(['one', 'two', 'three']);
    const page = await coll('compat_sorted').find({}).sort({ code: -1 }).skip(1).limit(2).project({ note: 1, _id: 0 }).toArray();
    expect(page).to.deep.equal([{ note: 'three' }, { note: 'two' }]);
  });

  it('leave out a document deleted, or changed to stop matching, after the sort, and give a changed one as it now is', async () => {
    // mongod reads lazily like this when an index gives the order (with no index it sorts in
    // memory and returns what it read at the first batch); the index makes this a test both meet.
    await coll('compat_sorted').createIndex({ code: 1 });
    await coll('compat_sorted').insertMany(Array.from({ length: 10 }, (_, i) => ({ _id: i, code: `c${i}`, region: 'r1', version: 1 })));
    const cursor = coll('compat_sorted').find({ region: 'r1' }).sort({ code: 1 }).batchSize(2);
    const first = [await cursor.next(), await cursor.next()];
    await coll('compat_sorted').deleteOne({ _id: 3 });
    await coll('compat_sorted').updateOne({ _id: 5 }, { $set: { region: 'r2' } });
    await coll('compat_sorted').updateOne({ _id: 7 }, { $set: { version: 2 } });
    const rest = await cursor.toArray();
    expect(first.map((d) => d!._id)).to.deep.equal([0, 1]);
    expect(rest.map((d) => d._id)).to.deep.equal([2, 4, 6, 7, 8, 9]);
    expect(rest.find((d) => d._id === 7)!.version).to.equal(2);
  });
});
