// Compatibility: multi-document transactions (issue 2, "transactions (commit, abort, conflict,
// retry)"). Against a real MongoDB these need a replica set.
//
// CASE list for write conflicts: MongoDB fails the second writer at its write; an engine that
// checks at commit ("first committer wins") fails it at commit. Either way the loser gets
// WriteConflict (112) with the TransientTransactionError label and the winner's write stands.
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mongoose from 'mongoose';
import { dropCollectionsStartingWith, resetDatabase, testDatabaseUri } from '../helpers/db';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../src/embedded-mongo';


const accountSchema = new mongoose.Schema(
  { name: { type: String, unique: true }, balance: Number },
  { collection: 'compat_txn_accounts', autoIndex: false, autoCreate: false },
);
const Account = mongoose.model('CompatTxnAccount', accountSchema);

async function catchError(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  return undefined;
}

function expectWriteConflict(err: any): void {
  expect(err, 'a WriteConflict error').to.not.equal(undefined);
  expect(err.code, err.message).to.equal(112);
  expect(err.codeName).to.equal('WriteConflict');
  expect(err.hasErrorLabel('TransientTransactionError')).to.equal(true);
}

describe('embedded-mongo compatibility: transactions', () => {
  beforeEach(async () => {
    await resetDatabase();
    await dropCollectionsStartingWith('compat_txn_');
    await Account.createCollection();
    await Account.createIndexes();
    await Account.create([{ name: 'a', balance: 100 }, { name: 'b', balance: 0 }]);
  });

  it('commits several writes atomically', async () => {
    const session = await mongoose.startSession();
    try {
      session.startTransaction();
      await Account.updateOne({ name: 'a' }, { $inc: { balance: -30 } }, { session });
      await Account.updateOne({ name: 'b' }, { $inc: { balance: 30 } }, { session });
      await Account.create([{ name: 'c', balance: 1 }], { session });
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    const rows = await Account.find().sort({ name: 1 }).lean();
    expect(rows.map((r) => [r.name, r.balance])).to.deep.equal([['a', 70], ['b', 30], ['c', 1]]);
  });

  it('rolls back every write on abort', async () => {
    const session = await mongoose.startSession();
    try {
      session.startTransaction();
      await Account.updateOne({ name: 'a' }, { $inc: { balance: -30 } }, { session });
      await Account.create([{ name: 'c', balance: 1 }], { session });
      await Account.deleteOne({ name: 'b' }, { session });
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
    const rows = await Account.find().sort({ name: 1 }).lean();
    expect(rows.map((r) => [r.name, r.balance])).to.deep.equal([['a', 100], ['b', 0]]);
  });

  it('hides uncommitted writes from other readers and shows them inside the transaction', async () => {
    const session = await mongoose.startSession();
    try {
      session.startTransaction();
      await Account.create([{ name: 'hidden', balance: 5 }], { session });
      await Account.updateOne({ name: 'a' }, { $set: { balance: 1 } }, { session });
      expect(await Account.findOne({ name: 'hidden' }).lean(), 'outside: not yet').to.equal(null);
      expect((await Account.findOne({ name: 'a' }).lean())!.balance, 'outside: old value').to.equal(100);
      expect(await Account.countDocuments(), 'outside count').to.equal(2);
      expect((await Account.findOne({ name: 'hidden' }).session(session).lean())!.balance, 'inside: visible').to.equal(5);
      expect((await Account.findOne({ name: 'a' }).session(session).lean())!.balance, 'inside: new value').to.equal(1);
      expect(await Account.countDocuments().session(session), 'inside count').to.equal(3);
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    expect((await Account.findOne({ name: 'hidden' }).lean())!.balance).to.equal(5);
    expect((await Account.findOne({ name: 'a' }).lean())!.balance).to.equal(1);
  });

  it('fails the second of two conflicting transactions with WriteConflict and the TransientTransactionError label', async () => {
    const s1 = await mongoose.startSession();
    const s2 = await mongoose.startSession();
    try {
      s1.startTransaction();
      s2.startTransaction();
      await Account.updateOne({ name: 'a' }, { $set: { balance: 1 } }, { session: s1 });
      let conflict = await catchError(Account.updateOne({ name: 'a' }, { $set: { balance: 2 } }, { session: s2 }));
      await s1.commitTransaction();
      if (conflict === undefined) conflict = await catchError(s2.commitTransaction());
      expectWriteConflict(conflict);
      if (s2.inTransaction()) await s2.abortTransaction().catch(() => undefined);
    } finally {
      await s1.endSession();
      await s2.endSession();
    }
    expect((await Account.findOne({ name: 'a' }).lean())!.balance, 'the first committer wins').to.equal(1);
  });

  it('retries a conflicting transaction with withTransaction until it succeeds', async () => {
    // A writes first and commits first. B's first attempt writes the same document while A is
    // open: MongoDB fails that write, an engine checking at commit fails B's commit. B's first
    // attempt waits for A's commit so that A is always the first committer.
    let bAttempts = 0;
    let aWrote!: () => void;
    let bTried!: () => void;
    const aWroteP = new Promise<void>((r) => { aWrote = r; });
    const bTriedP = new Promise<void>((r) => { bTried = r; });

    const sA = await mongoose.startSession();
    const sB = await mongoose.startSession();
    try {
      const runA = sA.withTransaction(async () => {
        await Account.updateOne({ name: 'a' }, { $inc: { balance: 10 } }, { session: sA });
        aWrote();
        await bTriedP;
      });
      const aSettled = runA.then(() => undefined, () => undefined);
      const runB = sB.withTransaction(async () => {
        bAttempts += 1;
        if (bAttempts === 1) {
          await aWroteP;
          try {
            await Account.updateOne({ name: 'a' }, { $inc: { balance: 1 } }, { session: sB });
          } finally {
            bTried();
          }
          await aSettled;
        } else {
          await Account.updateOne({ name: 'a' }, { $inc: { balance: 1 } }, { session: sB });
        }
      });
      await Promise.all([runA, runB]);
    } finally {
      await sA.endSession();
      await sB.endSession();
    }
    expect(bAttempts, 'the losing transaction ran again').to.be.at.least(2);
    expect((await Account.findOne({ name: 'a' }).lean())!.balance, 'both increments applied once').to.equal(111);
  });

  it('lets only one of two transactions insert the same _id', async () => {
    const coll = mongoose.connection.db!.collection<any>('compat_txn_accounts');
    const s1 = mongoose.connection.getClient().startSession();
    const s2 = mongoose.connection.getClient().startSession();
    try {
      s1.startTransaction();
      s2.startTransaction();
      await coll.insertOne({ _id: 'same', name: 'same-1', by: 1 }, { session: s1 });
      let conflict = await catchError(coll.insertOne({ _id: 'same', name: 'same-2', by: 2 }, { session: s2 }));
      await s1.commitTransaction();
      if (conflict === undefined) conflict = await catchError(s2.commitTransaction());
      expectWriteConflict(conflict);
      if (s2.inTransaction()) await s2.abortTransaction().catch(() => undefined);
    } finally {
      await s1.endSession();
      await s2.endSession();
    }
    expect(await coll.find({ _id: 'same' }).toArray()).to.deep.equal([{ _id: 'same', name: 'same-1', by: 1 }]);
  });

  it('reads its own writes through aggregate, distinct and findOneAndUpdate', async () => {
    const session = await mongoose.startSession();
    try {
      session.startTransaction();
      await Account.create([{ name: 'inside', balance: 9 }], { session });
      const [row] = await Account.aggregate([{ $match: { balance: { $gte: 9 } } }, { $count: 'n' }]).session(session);
      expect(row.n, 'a (100) and inside (9)').to.equal(2);
      expect((await Account.distinct('name').session(session)).sort()).to.deep.equal(['a', 'b', 'inside']);
      const updated = await Account.findOneAndUpdate({ name: 'inside' }, { $inc: { balance: 1 } }, { session, returnDocument: 'after' }).lean();
      expect(updated!.balance).to.equal(10);
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
    expect(await Account.countDocuments({ name: 'inside' })).to.equal(0);
  });

  it('sees its own inserts and deletes through cursors that need several getMores', async () => {
    const coll = mongoose.connection.db!.collection<any>('compat_txn_rows');
    await coll.insertMany(Array.from({ length: 100 }, (_, i) => ({ i })));
    const session = mongoose.connection.getClient().startSession();
    try {
      session.startTransaction();
      await coll.insertMany(Array.from({ length: 300 }, (_, i) => ({ i: 1000 + i })), { session });
      await coll.deleteMany({ i: { $lt: 50 } }, { session });
      let inside = 0;
      for await (const _doc of coll.find({}, { session, batchSize: 10 })) inside += 1;
      let aggregated = 0;
      for await (const _doc of coll.aggregate([{ $match: {} }], { session, batchSize: 10 })) aggregated += 1;
      let outside = 0;
      for await (const _doc of coll.find({}, { batchSize: 10 })) outside += 1;
      expect([inside, aggregated, outside]).to.deep.equal([350, 350, 100]);
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    expect(await coll.countDocuments()).to.equal(350);
  });

  it('refuses commands MongoDB does not allow in a transaction with OperationNotSupportedInTransaction (263)', async () => {
    const session = mongoose.connection.getClient().startSession();
    try {
      session.startTransaction();
      await mongoose.connection.db!.collection('compat_txn_accounts').findOne({}, { session });
      const err = await catchError(mongoose.connection.db!.command({ count: 'compat_txn_accounts' }, { session }));
      expect(err?.code).to.equal(263);
      expect(err.message).to.include('count');
    } finally {
      await session.abortTransaction().catch(() => undefined);
      await session.endSession();
    }
  });

  it('fails the commit when a write outside the transaction changed the same document first', async function () {
    // MongoDB makes the outside write wait for the transaction's lock instead, so only the
    // engine's first-committer-wins order can be checked this way.
    if (process.env.MONGODB_URI) this.skip();
    const session = await mongoose.startSession();
    try {
      session.startTransaction();
      await Account.updateOne({ name: 'a' }, { $inc: { balance: 10 } }, { session });
      await Account.updateOne({ name: 'a' }, { $inc: { balance: 1000 } });
      expectWriteConflict(await catchError(session.commitTransaction()));
    } finally {
      await session.endSession();
    }
    expect((await Account.findOne({ name: 'a' }).lean())!.balance, 'the outside write stands alone').to.equal(1100);
  });

  it('answers a repeated commitTransaction with success without applying anything twice', async () => {
    const session = await mongoose.startSession();
    try {
      session.startTransaction();
      await Account.updateOne({ name: 'b' }, { $inc: { balance: 7 } }, { session });
      await session.commitTransaction();
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    expect((await Account.findOne({ name: 'b' }).lean())!.balance).to.equal(7);
  });

  it('answers a repeated raw commitTransaction for the same txnNumber with ok', async () => {
    const session = mongoose.connection.getClient().startSession();
    try {
      session.startTransaction();
      await mongoose.connection.db!.collection('compat_txn_accounts').updateOne({ name: 'b' }, { $inc: { balance: 1 } }, { session });
      await session.commitTransaction();
      // With { session } the driver sends the same lsid and txnNumber again.
      const again = await mongoose.connection.db!.admin().command({ commitTransaction: 1 }, { session });
      expect(again.ok).to.equal(1);
    } finally {
      await session.endSession();
    }
    expect((await Account.findOne({ name: 'b' }).lean())!.balance).to.equal(1);
  });

  it('checks unique indexes at commit: a duplicate inside a transaction fails it', async () => {
    const session = await mongoose.startSession();
    let err: any;
    try {
      session.startTransaction();
      await Account.updateOne({ name: 'b' }, { $inc: { balance: 5 } }, { session });
      err = await catchError(Account.create([{ name: 'a', balance: 0 }], { session }));
      if (err === undefined) err = await catchError(session.commitTransaction());
      else await session.abortTransaction().catch(() => undefined);
    } finally {
      await session.endSession();
    }
    expect(err, 'a duplicate key must fail the transaction').to.not.equal(undefined);
    expect(err.code).to.equal(11000);
    expect((await Account.findOne({ name: 'b' }).lean())!.balance, 'nothing of the failed transaction stays').to.equal(0);
    expect(await Account.countDocuments({ name: 'a' })).to.equal(1);
  });

  it('answers NoSuchTransaction (251) with the TransientTransactionError label for an unknown transaction', async () => {
    // A client of its own: pooled server sessions of the shared client carry the txnNumber of
    // earlier tests, whose repeated commit is rightly answered with ok.
    const client = new mongoose.mongo.MongoClient(testDatabaseUri());
    await client.connect();
    const session = client.startSession();
    try {
      // The session never started a transaction: the driver sends its lsid with txnNumber 0.
      const err = await catchError(client.db('admin').command({ commitTransaction: 1 }, { session }));
      expect(err, 'an unknown transaction cannot commit').to.not.equal(undefined);
      expect(err.code).to.equal(251);
      expect(err.hasErrorLabel('TransientTransactionError')).to.equal(true);
    } finally {
      await session.endSession();
      await client.close();
    }
  });
});

describe('embedded-mongo compatibility: transaction lifetime (own engine)', function () {
  this.timeout(60_000);
  let dir: string;
  let engine: EmbeddedMongo | undefined;
  let client: InstanceType<typeof mongoose.mongo.MongoClient> | undefined;

  before(async function () {
    if (process.env.MONGODB_URI) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compat-txn-lifetime-'));
    engine = await startEmbeddedMongo({ dataDir: dir, port: 0, host: '127.0.0.1', transactionLifetimeMs: 300 });
    client = new mongoose.mongo.MongoClient(engine.uri);
    await client.connect();
    await client.db('compat').collection('acc').insertOne({ name: 'a', balance: 1 });
  });

  after(async () => {
    await client?.close();
    await engine?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('aborts a transaction that outlives transactionLifetimeMs: commit answers NoSuchTransaction (251)', async () => {
    const coll = client!.db('compat').collection('acc');
    const session = client!.startSession();
    try {
      session.startTransaction();
      await coll.updateOne({ name: 'a' }, { $set: { balance: 2 } }, { session });
      await sleep(1500);
      const err = await catchError(session.commitTransaction());
      expect(err, 'the expired transaction cannot commit').to.not.equal(undefined);
      expect(err.code).to.equal(251);
      expect(err.hasErrorLabel('TransientTransactionError')).to.equal(true);
    } finally {
      await session.endSession();
    }
    expect((await coll.findOne({ name: 'a' }))!.balance).to.equal(1);
  });

  it('releases an expired transaction so that another writer is not blocked by it', async () => {
    const coll = client!.db('compat').collection('acc');
    const stale = client!.startSession();
    const fresh = client!.startSession();
    try {
      stale.startTransaction();
      await coll.updateOne({ name: 'a' }, { $set: { balance: 3 } }, { session: stale });
      await sleep(1500);
      fresh.startTransaction();
      await coll.updateOne({ name: 'a' }, { $set: { balance: 4 } }, { session: fresh });
      await fresh.commitTransaction();
    } finally {
      await stale.endSession();
      await fresh.endSession();
    }
    expect((await coll.findOne({ name: 'a' }))!.balance).to.equal(4);
  });
});
