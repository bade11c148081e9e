// Command dispatch: name → handler, transaction binding, and MongoDB's error reply shapes.
import type { Engine } from '../engine';
import { MongoCommandError, fromMingoError, isMingoError, unsupported } from '../errors';
import type { Doc } from '../keys';
import type { RawCommand } from '../wire';
import { adminCommands } from './admin';
import { aggregateCommands } from './aggregate';
import { catalogCommands } from './catalog';
import type { ConnectionInfo, Handler } from './context';
import { readCommands } from './read';
import { transactionCommands } from './transaction';
import { writeCommands } from './write';

const HANDLERS: Record<string, Handler> = {
  ...adminCommands,
  ...catalogCommands,
  ...readCommands,
  ...writeCommands,
  findandmodify: writeCommands.findAndModify,
  ...aggregateCommands,
  ...transactionCommands,
};

/** Real MongoDB commands we deliberately do not implement: answer 115 naming the feature. */
const UNSUPPORTED_COMMANDS: Record<string, string> = {
  mapReduce: 'mapReduce',
  mapreduce: 'mapReduce',
  explain: 'explain',
  geoSearch: 'geoSearch (geospatial query)',
  geoNear: 'geoNear (geospatial query)',
  eval: 'eval (server-side JavaScript)',
  $eval: 'eval (server-side JavaScript)',
  createView: 'views',
  createSearchIndexes: 'Atlas Search indexes',
  validate: 'validate',
  compact: 'compact',
  reIndex: 'reIndex',
  shardCollection: 'sharding',
  replSetGetStatus: 'replica sets',
  createUser: 'authentication and users',
  saslStart: 'authentication',
  authenticate: 'authentication',
  dbStats: 'dbStats',
  collStats: 'collStats',
  aggregateChangeStream: 'change streams',
};

/** Commands MongoDB refuses inside a multi-document transaction. */
const NOT_IN_TRANSACTION = new Set(['count', 'drop', 'dropDatabase', 'listCollections', 'listIndexes', 'dropIndexes', 'renameCollection', 'listDatabases']);

export function runCommand(engine: Engine, body: Doc, connection: ConnectionInfo, raw?: RawCommand): Doc {
  const name = Object.keys(body)[0] ?? '';
  let txnForAbort: Parameters<Engine['abortActive']>[0] | undefined;
  try {
    if (name in UNSUPPORTED_COMMANDS) throw unsupported(UNSUPPORTED_COMMANDS[name]);
    const handler = Object.prototype.hasOwnProperty.call(HANDLERS, name) ? HANDLERS[name] : undefined;
    if (!handler) {
      // bulkWrite (MongoClient.bulkWrite) arrived in MongoDB 8.0; a 7.0 server, which we advertise, does not know it.
      const note = name === 'bulkWrite' ? ' (the MongoDB 8.0 bulkWrite command is not supported by the embedded engine)' : '';
      return { ok: 0, errmsg: `no such command: '${name}'${note}`, code: 59, codeName: 'CommandNotFound' };
    }
    const db = typeof body.$db === 'string' ? body.$db : 'admin';
    if (name === 'commitTransaction' || name === 'abortTransaction') {
      const { session } = engine.transactionFor({ lsid: body.lsid });
      return handler(body, { engine, db, session, connection, raw });
    }
    const { session, txn } = engine.transactionFor(body);
    if (txn && NOT_IN_TRANSACTION.has(name)) {
      throw new MongoCommandError('OperationNotSupportedInTransaction', `Cannot run '${name}' in a multi-document transaction.`);
    }
    txnForAbort = txn;
    return handler(body, { engine, db, session, txn, connection, raw });
  } catch (err) {
    // mongod aborts a transaction when any command inside it fails.
    if (txnForAbort) engine.abortActive(txnForAbort, `${name} failed: ${(err as Error).message}`);
    if (err instanceof MongoCommandError) return err.toReply();
    if (isMingoError(err)) return fromMingoError(err).toReply();
    if (err instanceof Error && (err as { invalidNs?: boolean }).invalidNs) return new MongoCommandError('InvalidNamespace', err.message).toReply();
    return new MongoCommandError('InternalError', `internal error in ${name}: ${(err as Error)?.message ?? String(err)}`).toReply();
  }
}
