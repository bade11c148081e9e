import { expect } from 'chai';
import { deserialize } from 'bson';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '../../../src/embedded-mongo/commands/dispatch';
import { Engine } from '../../../src/embedded-mongo/engine';
import { Storage } from '../../../src/embedded-mongo/storage';

describe('embedded engine: TTL indexes', () => {
  let dir: string;
  let engine: Engine;
  const conn = { id: 1, remote: 'test' };
  const run = (cmd: Record<string, unknown>) => runCommand(engine, { ...cmd, $db: 'ttl' }, conn);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-ttl-'));
    engine = new Engine(new Storage(dir), { cursorTimeoutMs: 600_000, transactionLifetimeMs: 60_000 });
  });

  afterEach(() => {
    engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('removes documents whose date is older than expireAfterSeconds, and only those', () => {
    const now = Date.UTC(2025, 0, 1);
    expect(run({ createIndexes: 's', indexes: [{ key: { at: 1 }, name: 'at_1', expireAfterSeconds: 3600 }] }).ok).to.equal(1);
    run({
      insert: 's',
      documents: [
        { _id: 'old', at: new Date(now - 2 * 3600_000) },
        { _id: 'fresh', at: new Date(now - 60_000) },
        { _id: 'not-a-date', at: 'yesterday' },
        { _id: 'none' },
      ],
    });
    expect(engine.expireTtl(now)).to.equal(1);
    // A find's batch holds stored documents as their BSON bytes (the wire reply copies them).
    const batch = (run({ find: 's', filter: {}, sort: { _id: 1 } }).cursor as { firstBatch: Buffer[] }).firstBatch;
    const ids = batch.map((raw) => deserialize(raw)._id);
    expect(ids).to.deep.equal(['fresh', 'none', 'not-a-date']);
  });
});
