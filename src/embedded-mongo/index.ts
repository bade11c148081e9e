// Public entry point of the embedded MongoDB-compatible engine (issue 2).
import fs from 'node:fs';
import path from 'node:path';
import { Engine } from './engine';
import { lockDataDir } from './lock';
import { WireServer } from './server';
import { Storage } from './storage';

export interface EmbeddedMongoOptions {
  dataDir: string;
  /** 0 = ephemeral */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** default 600000 (mongod's cursorTimeoutMillis) */
  cursorTimeoutMs?: number;
  /** default 60000 (mongod's transactionLifetimeLimitSeconds) */
  transactionLifetimeMs?: number;
  /**
   * Byte budget of the in-memory LRU of document bytes (default 64 MB); the documents
   * themselves live in SQLite, so memory no longer grows with the data.
   */
  documentCacheBytes?: number;
}

export interface EmbeddedMongo {
  uri: string;
  port: number;
  close(): Promise<void>;
}

export async function startEmbeddedMongo(opts: EmbeddedMongoOptions): Promise<EmbeddedMongo> {
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const host = opts.host ?? '127.0.0.1';
  const lock = lockDataDir(dataDir);
  let storage: Storage | undefined;
  let engine: Engine | undefined;
  try {
    storage = new Storage(dataDir, opts.documentCacheBytes);
    engine = new Engine(storage, {
      cursorTimeoutMs: opts.cursorTimeoutMs ?? 600_000,
      transactionLifetimeMs: opts.transactionLifetimeMs ?? 60_000,
    });
    const server = new WireServer(engine);
    const port = await server.listen(opts.port ?? 0, host);
    let closing: Promise<void> | undefined;
    const running = engine;
    return {
      uri: `mongodb://${host.includes(':') ? `[${host}]` : host}:${port}/`,
      port,
      close() {
        closing ??= (async () => {
          await server.close();
          running.close();
          lock.release();
        })();
        return closing;
      },
    };
  } catch (err) {
    if (engine) engine.close();
    else storage?.close();
    lock.release();
    throw err;
  }
}
