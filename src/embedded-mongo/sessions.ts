// Logical sessions and multi-document transactions. A transaction keeps its writes in a
// per-session overlay (invisible to everyone else) and applies them at commit; conflicts are
// detected first-committer-wins against the sequence number its snapshot started from.
import type { Binary } from 'bson';
import type { Collection } from './collection';
import { MongoCommandError } from './errors';

export type TxnState = 'active' | 'committed' | 'aborted';

export interface Txn {
  txnNumber: number;
  startSeq: number;
  startedAt: number;
  state: TxnState;
  /** Pending writes per collection: _id key → the new document's BSON bytes, or null for a deletion. */
  overlay: Map<Collection, Map<string, Buffer | null>>;
  abortReason?: string;
}

export interface Session {
  key: string;
  lastUse: number;
  txn?: Txn;
}

export const TRANSIENT = ['TransientTransactionError'];

export function sessionKey(lsid: unknown): string | undefined {
  const id = (lsid as { id?: Binary } | undefined)?.id;
  if (!id || typeof (id as Binary).toString !== 'function') return undefined;
  return (id as Binary).toString('hex');
}

export function noSuchTransaction(txnNumber: number, why = ''): MongoCommandError {
  return new MongoCommandError('NoSuchTransaction', `Transaction with { txnNumber: ${txnNumber} } has been aborted${why ? ': ' + why : ''}`, { labels: TRANSIENT });
}

export class SessionStore {
  readonly sessions = new Map<string, Session>();

  get(key: string): Session {
    let s = this.sessions.get(key);
    if (!s) this.sessions.set(key, (s = { key, lastUse: Date.now() }));
    s.lastUse = Date.now();
    return s;
  }

  end(key: string): Session | undefined {
    const s = this.sessions.get(key);
    this.sessions.delete(key);
    return s;
  }
}
