// Database helpers for tests: the connection itself is made once by test/setup.ts.
import mongoose from 'mongoose';
import { clearSessionCache } from '../../src/users/session-cache';

let uri = '';

/** Recorded by test/setup.ts once the test database is up. */
export function setTestDatabaseUri(value: string): void {
  uri = value;
}

/** The mongodb:// URI of the test database (embedded engine or MONGODB_URI with a unique db). */
export function testDatabaseUri(): string {
  if (!uri) throw new Error('the test database is not started: is test/setup.ts required by mocha?');
  return uri;
}

/**
 * Empty every collection but keep collections and indexes, then let every model finish
 * creating its indexes: dropping instead would race Mongoose's automatic createIndexes
 * (ENGINE-NOTES.md, hazards).
 */
export async function resetDatabase(): Promise<void> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('mongoose is not connected');
  const collections = await db.listCollections({}, { nameOnly: true }).toArray();
  await Promise.all(collections.filter((c) => !c.name.startsWith('system.')).map((c) => db.collection(c.name).deleteMany({})));
  await Promise.all(mongoose.modelNames().map((n) => mongoose.model(n).init()));
  // Users and tokens just vanished behind the users service's back.
  clearSessionCache();
}

/**
 * Drop the collections whose names start with `prefix`, indexes and all. For suites whose
 * models set `autoIndex: false, autoCreate: false` and create their indexes themselves, so no
 * automatic createIndexes can race the drop; resetDatabase() keeps indexes, which would let an
 * index made by one test leak into the next.
 */
export async function dropCollectionsStartingWith(prefix: string): Promise<void> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('mongoose is not connected');
  const collections = await db.listCollections({}, { nameOnly: true }).toArray();
  for (const { name } of collections.filter((c) => c.name.startsWith(prefix))) await db.dropCollection(name);
}
