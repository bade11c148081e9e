// Compatibility: crash safety (issue 2: "a kill -9 in the middle of writes losing nothing
// acknowledged"; "nothing acknowledged before it is durable"). The engine runs as a child
// process started from `npm run db`'s entry point; the test writes to it from several
// connections, kills it with SIGKILL mid-stream, reopens the folder and checks that every
// acknowledged write is there. Skipped against a real MongoDB.
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mongoose from 'mongoose';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../src/embedded-mongo';

import { spawnEngineProcess as spawnCli } from '../helpers/engine-process';

describe('embedded-mongo compatibility: crash safety (kill -9 of a child engine)', function () {
  this.timeout(120_000);
  let dir: string;
  let child: ChildProcess | undefined;
  let reopened: EmbeddedMongo | undefined;
  let client: InstanceType<typeof mongoose.mongo.MongoClient> | undefined;

  beforeEach(function () {
    if (process.env.MONGODB_URI) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compat-crash-'));
  });

  afterEach(async () => {
    await client?.close(true).catch(() => undefined);
    client = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    child = undefined;
    await reopened?.close();
    reopened = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged insert, insertMany and $inc after a SIGKILL mid-write', async () => {
    const started = await spawnCli(dir);
    child = started.child;
    client = new mongoose.mongo.MongoClient(started.uri, {
      retryWrites: false, serverSelectionTimeoutMS: 1500, connectTimeoutMS: 1500, maxPoolSize: 8,
    });
    await client.connect();
    const db = client.db('compat_crash');
    await db.collection('rows').createIndex({ key: 1 }, { unique: true });
    await db.collection('counter').insertOne({ _id: 'c' as any, n: 0 });

    const acknowledged = new Set<string>();
    let attempted = 0;
    let incAcknowledged = 0;
    let stop = false;

    const singleWriter = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const key = `s${w}-${i}`;
        attempted += 1;
        try {
          await db.collection('rows').insertOne({ key, w, i, pad: 'p'.repeat(500) });
          acknowledged.add(key);
        } catch {
          return;
        }
      }
    };
    const batchWriter = async (w: number) => {
      for (let b = 0; !stop; b++) {
        const docs = Array.from({ length: 50 }, (_, k) => ({ key: `b${w}-${b}-${k}`, w, b, pad: 'q'.repeat(300) }));
        attempted += docs.length;
        try {
          await db.collection('rows').insertMany(docs);
          for (const d of docs) acknowledged.add(d.key);
        } catch {
          return;
        }
      }
    };
    const incWriter = async () => {
      while (!stop) {
        try {
          await db.collection('counter').updateOne({ _id: 'c' as any }, { $inc: { n: 1 } });
          incAcknowledged += 1;
        } catch {
          return;
        }
      }
    };

    const writers = [
      singleWriter(0), singleWriter(1), singleWriter(2), batchWriter(0), batchWriter(1), incWriter(),
    ];
    const deadline = Date.now() + 15_000;
    while (acknowledged.size < 3000 && Date.now() < deadline) await sleep(20);
    expect(acknowledged.size, 'writes were acknowledged before the kill').to.be.greaterThan(500);

    const exited = new Promise<NodeJS.Signals | null>((r) => child!.once('exit', (_code, signal) => r(signal)));
    child.kill('SIGKILL');
    expect(await exited).to.equal('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await client.close(true).catch(() => undefined);
    client = undefined;

    // The dead process cannot release its lock: reopening must still work.
    reopened = await startEmbeddedMongo({ dataDir: dir, port: 0, host: '127.0.0.1' });
    client = new mongoose.mongo.MongoClient(reopened.uri);
    await client.connect();
    const after = client.db('compat_crash');
    const stored = new Set((await after.collection('rows').find({}, { projection: { key: 1, _id: 0 } }).toArray()).map((d) => d.key as string));
    const lost = [...acknowledged].filter((k) => !stored.has(k));
    expect(lost, `acknowledged writes lost after kill -9 (${lost.length} of ${acknowledged.size})`).to.deep.equal([]);
    expect(stored.size, 'nothing appears that was never sent').to.be.at.most(attempted);
    const counter = await after.collection('counter').findOne({ _id: 'c' as any });
    expect(counter!.n, 'every acknowledged $inc survived').to.be.at.least(incAcknowledged);
    expect(counter!.n, 'at most the one in-flight $inc beyond the acknowledged ones').to.be.at.most(incAcknowledged + 1);
    const keyIndex = (await after.collection('rows').listIndexes().toArray()).map((ix) => ix.name);
    expect(keyIndex).to.include('key_1');
    let dup: any;
    try {
      await after.collection('rows').insertOne({ key: [...acknowledged][0] });
    } catch (e) {
      dup = e;
    }
    expect(dup?.code, 'the unique index is intact after the crash').to.equal(11000);
  });

  it('reopens a folder left by a SIGKILL during an open transaction without its uncommitted writes', async () => {
    const started = await spawnCli(dir);
    child = started.child;
    client = new mongoose.mongo.MongoClient(started.uri, { retryWrites: false, serverSelectionTimeoutMS: 1500 });
    await client.connect();
    const coll = client.db('compat_crash').collection('acc');
    await coll.insertOne({ name: 'a', balance: 100 });
    const session = client.startSession();
    session.startTransaction();
    await coll.updateOne({ name: 'a' }, { $set: { balance: 0 } }, { session });
    await coll.insertOne({ name: 'ghost' }, { session });

    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    await session.endSession().catch(() => undefined);
    await client.close(true).catch(() => undefined);
    client = undefined;

    reopened = await startEmbeddedMongo({ dataDir: dir, port: 0, host: '127.0.0.1' });
    client = new mongoose.mongo.MongoClient(reopened.uri);
    await client.connect();
    const rows = await client.db('compat_crash').collection('acc').find({}, { projection: { _id: 0 } }).toArray();
    expect(rows).to.deep.equal([{ name: 'a', balance: 100 }]);
  });
});
