import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import mongoose from 'mongoose';
import { startEmbeddedMongo } from './src/embedded-mongo';
async function t(label: string, f: () => Promise<unknown>) { try { console.log(label, JSON.stringify(await f())); } catch (err: any) { console.log(label, 'ERR', err.code, err.codeName, err.message, JSON.stringify(err.result ?? err.errorResponse ?? {})); } }
(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-'));
  const e = await startEmbeddedMongo({ dataDir: dir, port: 0 });
  const c = new mongoose.mongo.MongoClient(e.uri); await c.connect();
  const coll = c.db('p').collection<any>('u');
  await coll.createIndex({ k: 1 }, { unique: true });
  await coll.insertMany([{ _id: 1, k: 1, g: 1 }, { _id: 2, k: 2, g: 1 }, { _id: 3, k: 3, g: 1 }]);
  await t('updateMany dup', () => coll.updateMany({ g: 1 }, { $set: { k: 5 } }));
  await t('after', () => coll.find().toArray());
  await t('bulk unordered', () => coll.bulkWrite([{ updateOne: { filter: { _id: 2 }, update: { $set: { k: 3 } } } }, { updateOne: { filter: { _id: 3 }, update: { $set: { x: 1 } } } }], { ordered: false }));
  await t('after2', () => coll.find().toArray());
  await t('deleteMany with limit semantic', () => coll.deleteMany({ g: 1 }));
  await c.close(); await e.close(); fs.rmSync(dir, { recursive: true });
})();
