// Compatibility: findAndModify behind findOneAndUpdate / findOneAndReplace / findOneAndDelete
// (issue 2, "findOneAndUpdate"): which document is chosen (sort), which version comes back
// (new), upserts, projections and the result metadata.
import { expect } from 'chai';
import mongoose from 'mongoose';
import { dropCollectionsStartingWith, resetDatabase } from '../helpers/db';

const ticketSchema = new mongoose.Schema(
  { queue: String, priority: Number, status: String, owner: String, attempts: { type: Number, default: 0 } },
  { collection: 'compat_fam_tickets', autoIndex: false, autoCreate: false },
);
const Ticket = mongoose.model('CompatFamTicket', ticketSchema);

describe('embedded-mongo compatibility: findOneAndUpdate', () => {
  beforeEach(async () => {
    await resetDatabase();
    await dropCollectionsStartingWith('compat_fam_');
    await Ticket.insertMany([
      { queue: 'q', priority: 2, status: 'open' },
      { queue: 'q', priority: 9, status: 'open' },
      { queue: 'q', priority: 5, status: 'open' },
      { queue: 'other', priority: 99, status: 'open' },
    ]);
  });

  it('returns the document as it was before the update by default', async () => {
    const doc = await Ticket.findOneAndUpdate({ priority: 2 }, { $set: { status: 'taken' }, $inc: { attempts: 1 } }).lean();
    expect(doc!.status).to.equal('open');
    expect(doc!.attempts).to.equal(0);
    expect((await Ticket.findOne({ priority: 2 }).lean())!.status).to.equal('taken');
  });

  it('returns the updated document with new: true', async () => {
    const doc = await Ticket.findOneAndUpdate({ priority: 2 }, { $set: { status: 'taken' }, $inc: { attempts: 1 } }, { new: true }).lean();
    expect(doc!.status).to.equal('taken');
    expect(doc!.attempts).to.equal(1);
  });

  it('picks the first document in sort order', async () => {
    const top = await Ticket.findOneAndUpdate(
      { queue: 'q', status: 'open' }, { $set: { status: 'taken', owner: 'w1' } }, { sort: { priority: -1 }, returnDocument: 'after' },
    ).lean();
    expect(top!.priority).to.equal(9);
    const next = await Ticket.findOneAndUpdate(
      { queue: 'q', status: 'open' }, { $set: { status: 'taken', owner: 'w2' } }, { sort: { priority: -1 }, returnDocument: 'after' },
    ).lean();
    expect(next!.priority).to.equal(5);
    const lowest = await Ticket.findOneAndUpdate(
      { queue: 'q', status: 'open' }, { $set: { status: 'taken' } }, { sort: { priority: 1 } },
    ).lean();
    expect(lowest!.priority).to.equal(2);
    expect(await Ticket.findOneAndUpdate({ queue: 'q', status: 'open' }, { $set: { status: 'x' } })).to.equal(null);
  });

  it('inserts with upsert and returns the new document with returnDocument: after', async () => {
    const doc = await Ticket.findOneAndUpdate(
      { queue: 'fresh', priority: 1 }, { $set: { status: 'open' }, $inc: { attempts: 1 } }, { upsert: true, returnDocument: 'after' },
    ).lean();
    expect(doc).to.include({ queue: 'fresh', priority: 1, status: 'open', attempts: 1 });
    expect(await Ticket.countDocuments({ queue: 'fresh' })).to.equal(1);
  });

  it('answers null for an upsert returning the document before, and still inserts', async () => {
    const doc = await Ticket.findOneAndUpdate({ queue: 'fresh2' }, { $set: { status: 'open' } }, { upsert: true });
    expect(doc).to.equal(null);
    expect(await Ticket.countDocuments({ queue: 'fresh2' })).to.equal(1);
  });

  it('reports whether it updated or inserted in the result metadata', async () => {
    const updated = await Ticket.findOneAndUpdate(
      { priority: 5 }, { $set: { owner: 'a' } }, { returnDocument: 'after', includeResultMetadata: true },
    );
    expect(updated.ok).to.equal(1);
    expect(updated.lastErrorObject?.updatedExisting).to.equal(true);
    expect((updated.lastErrorObject as any)?.n).to.equal(1);
    const inserted = await Ticket.findOneAndUpdate(
      { queue: 'meta' }, { $set: { owner: 'b' } }, { returnDocument: 'after', upsert: true, includeResultMetadata: true },
    );
    expect(inserted.lastErrorObject?.updatedExisting).to.equal(false);
    expect(String(inserted.lastErrorObject?.upserted)).to.equal(String(inserted.value!._id));
  });

  it('applies a projection to the returned document', async () => {
    const doc = await Ticket.findOneAndUpdate({ priority: 9 }, { $set: { owner: 'p' } }, { returnDocument: 'after', projection: { owner: 1 } }).lean();
    expect(Object.keys(doc!).sort()).to.deep.equal(['_id', 'owner']);
    expect(doc!.owner).to.equal('p');
    // Mongoose drops `_id: 0` from this option, so the raw driver checks the exclusion of _id.
    const raw = await mongoose.connection.db!.collection('compat_fam_tickets').findOneAndUpdate(
      { priority: 5 }, { $set: { owner: 'q' } }, { returnDocument: 'after', projection: { owner: 1, _id: 0 } },
    );
    expect(raw).to.deep.equal({ owner: 'q' });
  });

  it('replaces with findOneAndReplace and deletes with findOneAndDelete', async () => {
    const replaced = await Ticket.findOneAndReplace({ priority: 9 }, { queue: 'q', priority: 10, status: 'new' }, { returnDocument: 'after' }).lean();
    expect(replaced).to.include({ priority: 10, status: 'new' });
    const deleted = await Ticket.findOneAndDelete({ queue: 'q' }, { sort: { priority: 1 } }).lean();
    expect(deleted!.priority).to.equal(2);
    expect(await Ticket.countDocuments({ queue: 'q' })).to.equal(2);
  });

  it('gives each of many concurrent callers a different document', async () => {
    await Ticket.deleteMany({});
    await Ticket.insertMany(Array.from({ length: 20 }, (_, i) => ({ queue: 'race', priority: i, status: 'open' })));
    const taken = await Promise.all(
      Array.from({ length: 20 }, (_, i) => Ticket.findOneAndUpdate(
        { queue: 'race', status: 'open' }, { $set: { status: 'taken', owner: `w${i}` } }, { sort: { priority: 1 }, returnDocument: 'after' },
      ).lean()),
    );
    const priorities = taken.map((t) => t!.priority).sort((a, b) => a! - b!);
    expect(priorities).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
  });
});
