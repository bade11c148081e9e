import type { Engine } from '../engine';
import type { Doc } from '../keys';
import type { Session, Txn } from '../sessions';
import type { RawCommand } from '../wire';

export interface ConnectionInfo {
  id: number;
  remote: string;
}

export interface CommandContext {
  engine: Engine;
  db: string;
  session?: Session;
  txn?: Txn;
  connection: ConnectionInfo;
  /** The command's bytes, when it came over the wire (writes keep the client's exact types). */
  raw?: RawCommand;
}

export type Handler = (cmd: Doc, ctx: CommandContext) => Doc;

export function collectionName(cmd: Doc, name: string): string {
  const v = cmd[name];
  if (typeof v !== 'string' || v.length === 0) {
    throw Object.assign(new Error(`collection name has invalid type ${typeof v}`), { invalidNs: true });
  }
  return v;
}
