// Chooses the database: MONGODB_URI when given (a real MongoDB), otherwise the embedded engine
// on the data folder (issue 2). Mongoose is the only way the service talks to its data.
import fs from 'node:fs';
import mongoose from 'mongoose';
import { startEmbeddedMongo } from '../embedded-mongo';

// Unknown filter fields throw instead of being silently dropped (a dropped filter field would
// widen a query, e.g. an update meant for one household hitting many).
mongoose.set('strictQuery', 'throw');

export interface DatabaseConnection {
  uri: string;
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * The address Mongoose connected with, for worker threads that open their own connection (an
 * eligibility run's workers read households and write results themselves, so that this thread,
 * which serves the embedded engine, does not also decode and encode every document).
 */
let connectedUri: string | undefined;

export function databaseUri(): string | undefined {
  return connectedUri;
}

/** `documentCacheBytes`: the embedded engine's cache of stored documents (its default when unset). */
export async function connect(opts: { mongodbUri?: string; dataDir: string; documentCacheBytes?: number }): Promise<DatabaseConnection> {
  if (opts.mongodbUri) {
    await mongoose.connect(opts.mongodbUri, { serverSelectionTimeoutMS: 2000 });
    connectedUri = opts.mongodbUri;
    return { uri: opts.mongodbUri, embedded: false, close: () => disconnect() };
  }
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const engine = await startEmbeddedMongo({ dataDir: opts.dataDir, port: 0, documentCacheBytes: opts.documentCacheBytes });
  try {
    await mongoose.connect(engine.uri, { serverSelectionTimeoutMS: 2000 });
    connectedUri = engine.uri;
  } catch (err) {
    await engine.close();
    throw err;
  }
  return {
    uri: engine.uri,
    embedded: true,
    async close() {
      await disconnect();
      await engine.close();
    },
  };
}

async function disconnect(): Promise<void> {
  connectedUri = undefined;
  await mongoose.disconnect();
}
