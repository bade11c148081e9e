// Handshake and server-information commands. We advertise a standalone mongod 7.0
// (maxWireVersion 21): as a replica set the driver would add txnNumber to every retryable
// write and expect de-duplication of retries (ENGINE-NOTES.md).
import { Long } from 'bson';
import type { CommandContext, Handler } from './context';
import type { Doc } from '../keys';
import { sessionKey } from '../sessions';

const VERSION = '7.0.0';
const startedAt = Date.now();

function hello(legacyName: boolean): Handler {
  return (_cmd: Doc, ctx: CommandContext) => {
    const reply: Doc = {
      helloOk: true,
      [legacyName ? 'ismaster' : 'isWritablePrimary']: true,
      maxBsonObjectSize: 16 * 1024 * 1024,
      maxMessageSizeBytes: 48_000_000,
      maxWriteBatchSize: 100_000,
      localTime: new Date(),
      // Without this the driver refuses explicit sessions (and so transactions).
      logicalSessionTimeoutMinutes: 30,
      connectionId: ctx.connection.id,
      minWireVersion: 0,
      maxWireVersion: 21,
      readOnly: false,
      ok: 1,
    };
    return reply;
  };
}

export const adminCommands: Record<string, Handler> = {
  hello: hello(false),
  ismaster: hello(true),
  isMaster: hello(true),
  ping: () => ({ ok: 1 }),
  buildinfo: () => buildInfo(),
  buildInfo: () => buildInfo(),
  getParameter: (cmd) => {
    const out: Doc = { ok: 1 };
    if (cmd.featureCompatibilityVersion) out.featureCompatibilityVersion = { version: '7.0' };
    if (cmd.transactionLifetimeLimitSeconds) out.transactionLifetimeLimitSeconds = 60;
    return out;
  },
  getCmdLineOpts: () => ({ argv: ['embedded-mongo'], parsed: {}, ok: 1 }),
  connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }),
  whatsmyuri: (_cmd, ctx) => ({ you: ctx.connection.remote, ok: 1 }),
  hostInfo: () => ({ system: { currentTime: new Date(), hostname: '127.0.0.1' }, os: { type: process.platform }, extra: {}, ok: 1 }),
  serverStatus: (_cmd, ctx) => ({
    host: '127.0.0.1',
    version: VERSION,
    process: 'embedded-mongo',
    pid: Long.fromNumber(process.pid),
    uptime: Math.floor((Date.now() - startedAt) / 1000),
    localTime: new Date(),
    connections: { current: 1 },
    metrics: { cursor: { open: { total: ctx.engine.cursors.size } } },
    ok: 1,
  }),
  getLog: () => ({ totalLinesWritten: 0, log: [], ok: 1 }),
  listDatabases: (cmd, ctx) => {
    const databases = ctx.engine.databases().map((name) => ({ name, sizeOnDisk: 0, empty: false }));
    return cmd.nameOnly ? { databases: databases.map((d) => ({ name: d.name })), ok: 1 } : { databases, totalSize: 0, totalSizeMb: 0, ok: 1 };
  },
  endSessions: (cmd, ctx) => {
    for (const lsid of (cmd.endSessions as Doc[]) ?? []) {
      const key = sessionKey(lsid);
      if (key) ctx.engine.endSession(key);
    }
    return { ok: 1 };
  },
  killSessions: (cmd, ctx) => {
    for (const lsid of (cmd.killSessions as Doc[]) ?? []) {
      const key = sessionKey(lsid);
      if (key) ctx.engine.endSession(key);
    }
    return { ok: 1 };
  },
  refreshSessions: () => ({ ok: 1 }),
  startSession: () => ({ ok: 1 }),
  logout: () => ({ ok: 1 }),
};

function buildInfo(): Doc {
  return {
    version: VERSION,
    gitVersion: 'embedded',
    versionArray: [7, 0, 0, 0],
    bits: 64,
    debug: false,
    maxBsonObjectSize: 16 * 1024 * 1024,
    storageEngines: ['sqlite'],
    modules: [],
    ok: 1,
  };
}
