import type { Engine } from '../engine';
import type { Doc } from '../keys';
import type { Session, Txn } from '../sessions';

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
}

export type Handler = (cmd: Doc, ctx: CommandContext) => Doc;

export function collectionName(cmd: Doc, name: string): string {
  const v = cmd[name];
  if (typeof v !== 'string' || v.length === 0) {
    throw Object.assign(new Error(`collection name has invalid type ${typeof v}`), { invalidNs: true });
  }
  return v;
}
