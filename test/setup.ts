// Mocha root hooks: one test database per run. Without MONGODB_URI the embedded engine starts
// on a fresh temporary data folder (removed afterwards); with it, a uniquely named database on
// that server is used and dropped afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { connect, type DatabaseConnection } from '../src/db/connect';
import { setTestDatabaseUri } from './helpers/db';

// Request logs would drown the test report; a run that wants them sets LOG_LEVEL itself.
process.env.LOG_LEVEL ??= 'silent';

let connection: DatabaseConnection | undefined;
let tempDir: string | undefined;

function withDatabase(uri: string, dbName: string): string {
  const url = new URL(uri);
  url.pathname = `/${dbName}`;
  return url.toString();
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(30_000);
    const external = process.env.MONGODB_URI;
    if (external) {
      const uri = withDatabase(external, `fupin_test_${process.pid}_${Date.now()}`);
      connection = await connect({ mongodbUri: uri, dataDir: '' });
      setTestDatabaseUri(uri);
    } else {
      tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fupin-test-'));
      connection = await connect({ dataDir: tempDir });
      setTestDatabaseUri(connection.uri.replace(/\/?$/, '/test'));
    }
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    if (process.env.MONGODB_URI && mongoose.connection.db) await mongoose.connection.db.dropDatabase();
    await connection?.close();
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  },
};
