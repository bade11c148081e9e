// commitTransaction / abortTransaction (sent to the admin database with lsid and txnNumber).
import type { Handler } from './context';
import { MongoCommandError } from '../errors';

export const transactionCommands: Record<string, Handler> = {
  commitTransaction: (cmd, ctx) => {
    if (!ctx.session) throw new MongoCommandError('BadValue', 'commitTransaction must be run within a session');
    ctx.engine.commitTransaction(ctx.session, Number(cmd.txnNumber), (cmd.writeConcern as { j?: boolean } | undefined)?.j === true);
    return { ok: 1 };
  },
  abortTransaction: (cmd, ctx) => {
    if (!ctx.session) throw new MongoCommandError('BadValue', 'abortTransaction must be run within a session');
    ctx.engine.abortTransaction(ctx.session, Number(cmd.txnNumber));
    return { ok: 1 };
  },
};
