// An insert stores the bytes the client sent after checking them as BSON, without decoding them
// (src/embedded-mongo/commands/write.ts `insertSentBytes`, `bsonProblem` in bson-raw.ts). These
// tests send OP_MSG frames over a plain socket, so that the bytes can be wrong in ways the driver
// never sends: a command with one bad document must fail whole and write nothing, and what is
// stored must read back as it was sent.
import net from 'node:net';
import { expect } from 'chai';
import { ObjectId, deserialize, serialize } from 'bson';
import mongoose from 'mongoose';
import { dropCollectionsStartingWith, testDatabaseUri } from '../helpers/db';

const COLLECTION = 'compat_inserted_bytes';

/** One OP_MSG: a body section and the insert's documents as a kind-1 document sequence. */
function insertFrame(requestId: number, body: object, documents: Buffer[]): Buffer {
  const bodyBytes = Buffer.from(serialize(body));
  const identifier = Buffer.from('documents\0', 'utf8');
  const sequenceSize = 4 + identifier.length + documents.reduce((n, d) => n + d.length, 0);
  const sequenceHeader = Buffer.alloc(5);
  sequenceHeader[0] = 1;
  sequenceHeader.writeInt32LE(sequenceSize, 1);
  const parts = [Buffer.alloc(4), Buffer.from([0]), bodyBytes, sequenceHeader, identifier, ...documents];
  const length = 16 + parts.reduce((n, p) => n + p.length, 0);
  const header = Buffer.alloc(16);
  header.writeInt32LE(length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(0, 8);
  header.writeInt32LE(2013, 12);
  return Buffer.concat([header, ...parts]);
}

/** Send one frame on a fresh connection and decode the reply's body. */
function roundTrip(frame: Buffer): Promise<Record<string, any>> {
  const { hostname, port } = new URL(testDatabaseUri());
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    socket.on('connect', () => socket.write(frame));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 4 && received.length >= received.readInt32LE(0)) {
        socket.end();
        // header (16), flags (4), section kind (1), then the body document
        resolve(deserialize(received.subarray(21)));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('the server closed the connection without a reply')));
  });
}

const dbName = () => mongoose.connection.db!.databaseName;
const insert = (documents: Buffer[], ordered = true) =>
  roundTrip(insertFrame(7, { insert: COLLECTION, ordered, $db: dbName() }, documents));
const bytes = (doc: object) => Buffer.from(serialize(doc));

describe('embedded engine: an insert stores the bytes it was sent', function () {
  before(function () {
    if (process.env.MONGODB_URI) this.skip(); // the embedded engine's own checks and messages
  });
  beforeEach(() => dropCollectionsStartingWith(COLLECTION));

  it('stores documents with _id first, reading back what was sent', async () => {
    const reply = await insert([bytes({ a: 1, s: '户主', _id: 'late' }), bytes({ b: [1, { c: 'x' }] })]);
    expect(reply).to.include({ ok: 1, n: 2 });
    const stored = await mongoose.connection.db!.collection(COLLECTION).find({}, { sort: { _id: 1 } }).toArray();
    const late = stored.find((d) => (d._id as unknown) === 'late');
    expect(Object.keys(late!)).to.deep.equal(['_id', 'a', 's']);
    expect(late).to.deep.equal({ _id: 'late', a: 1, s: '户主' });
    const generated = stored.find((d) => (d._id as unknown) !== 'late');
    expect(generated!._id).to.be.instanceOf(ObjectId);
    expect(generated!.b).to.deep.equal([1, { c: 'x' }]);
  });

  it('fails the whole insert with FailedToParse (9) when one document is not valid UTF-8, writing nothing', async () => {
    const bad = bytes({ _id: 2, name: 'ab' });
    bad[bad.indexOf(Buffer.from('ab')) + 1] = 0xff; // 'a\xff': not UTF-8
    const reply = await insert([bytes({ _id: 1 }), bad], false);
    expect(reply.ok).to.equal(0);
    expect(reply.code).to.equal(9);
    expect(reply.errmsg).to.match(/invalid BSON: string that is not valid UTF-8/);
    expect(await mongoose.connection.db!.collection(COLLECTION).countDocuments()).to.equal(0);
  });

  it('fails with FailedToParse (9) on a document whose sizes disagree, writing nothing', async () => {
    const bad = bytes({ _id: 2, inner: { x: 1 } });
    bad.writeInt32LE(200, bad.indexOf(Buffer.from('inner\0')) + 6); // the embedded document claims 200 bytes
    const reply = await insert([bytes({ _id: 1 }), bad]);
    expect(reply).to.include({ ok: 0, code: 9 });
    expect(reply.errmsg).to.match(/invalid BSON: embedded document size out of range/);
    expect(await mongoose.connection.db!.collection(COLLECTION).countDocuments()).to.equal(0);
  });

  it('refuses per statement what it refused before: an array _id, a $-prefixed field, a duplicate key', async () => {
    await mongoose.connection.db!.collection(COLLECTION).createIndex({ code: 1 }, { unique: true });
    const reply = await insert([
      bytes({ _id: 1, code: 'a' }), bytes({ _id: [2] }), bytes({ _id: 3, $where: 1 }), bytes({ _id: 4, code: 'a' }), bytes({ _id: 5, code: 'b' }),
    ], false);
    expect(reply.n).to.equal(2);
    expect(reply.writeErrors.map((e: { index: number; code: number }) => [e.index, e.code])).to.deep.equal([[1, 2], [2, 2], [3, 11000]]);
    expect(reply.writeErrors[2].keyValue).to.deep.equal({ code: 'a' });
    const ids = (await mongoose.connection.db!.collection(COLLECTION).find().toArray()).map((d) => d._id);
    expect(ids).to.have.members([1, 5]);
  });
});
