// MongoDB wire protocol framing: the legacy OP_QUERY/OP_REPLY pair the driver still uses for
// its first handshake, and OP_MSG for everything else (mongodb/specifications, OP_MSG spec).
import { Long, deserialize, serialize } from 'bson';
import { rawCache } from './raw-cache';
import type { Doc } from './keys';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const FLAG_CHECKSUM_PRESENT = 1 << 0;
export const FLAG_MORE_TO_COME = 1 << 1;

export interface Header { length: number; requestId: number; responseTo: number; opCode: number }

export interface IncomingCommand {
  header: Header;
  /** The command document with any kind-1 document sequences merged in as arrays. */
  body: Doc;
  moreToCome: boolean;
  legacy: boolean;
}

export function readHeader(buf: Buffer, offset = 0): Header {
  return {
    length: buf.readInt32LE(offset),
    requestId: buf.readInt32LE(offset + 4),
    responseTo: buf.readInt32LE(offset + 8),
    opCode: buf.readInt32LE(offset + 12),
  };
}

export class ProtocolError extends Error {}

export function parseMessage(msg: Buffer): IncomingCommand {
  const header = readHeader(msg);
  if (header.opCode === OP_MSG) {
    const flags = msg.readUInt32LE(16);
    const end = flags & FLAG_CHECKSUM_PRESENT ? msg.length - 4 : msg.length;
    let pos = 20;
    let body: Doc | undefined;
    const sequences: [string, Doc[]][] = [];
    while (pos < end) {
      const kind = msg[pos++];
      if (kind === 0) {
        const size = msg.readInt32LE(pos);
        body = deserialize(msg.subarray(pos, pos + size));
        pos += size;
      } else if (kind === 1) {
        const size = msg.readInt32LE(pos);
        const sectionEnd = pos + size;
        let p = pos + 4;
        const nul = msg.indexOf(0, p);
        const identifier = msg.toString('utf8', p, nul);
        p = nul + 1;
        const docs: Doc[] = [];
        while (p < sectionEnd) {
          const dsize = msg.readInt32LE(p);
          docs.push(deserialize(msg.subarray(p, p + dsize)));
          p += dsize;
        }
        sequences.push([identifier, docs]);
        pos = sectionEnd;
      } else {
        throw new ProtocolError(`unknown OP_MSG section kind ${kind}`);
      }
    }
    if (!body) throw new ProtocolError('OP_MSG without a body section');
    for (const [name, docs] of sequences) body[name] = docs;
    return { header, body, moreToCome: (flags & FLAG_MORE_TO_COME) !== 0, legacy: false };
  }
  if (header.opCode === OP_QUERY) {
    let pos = 20;
    const nul = msg.indexOf(0, pos);
    const collection = msg.toString('utf8', pos, nul);
    pos = nul + 1 + 8; // numberToSkip, numberToReturn
    const size = msg.readInt32LE(pos);
    let body = deserialize(msg.subarray(pos, pos + size));
    // Legacy commands may be wrapped as {$query: {...}, $readPreference: ...}.
    if (body.$query) body = body.$query as Doc;
    if (!collection.endsWith('.$cmd')) throw new ProtocolError(`OP_QUERY is only supported for commands, not on ${collection}`);
    body.$db = body.$db ?? collection.slice(0, -'.$cmd'.length);
    return { header, body, moreToCome: false, legacy: true };
  }
  throw new ProtocolError(`unsupported opCode ${header.opCode}`);
}

let nextRequestId = 1;

/**
 * The reply as [header, body]: the serialized document is sent as its own chunk rather than
 * copied behind the header (a 16 MB batch would otherwise be copied twice).
 */
export function encodeReply(responseTo: number, doc: Doc, legacy: boolean): [Buffer, Buffer] {
  const payload = (!legacy && encodeCursorReply(doc)) || toBuffer(serialize(doc));
  if (legacy) {
    const head = Buffer.allocUnsafe(16 + 20);
    writeHeader(head, head.length + payload.length, responseTo, OP_REPLY);
    head.writeInt32LE(8, 16); // responseFlags: AwaitCapable
    head.writeBigInt64LE(0n, 20); // cursorID
    head.writeInt32LE(0, 28); // startingFrom
    head.writeInt32LE(1, 32); // numberReturned
    return [head, payload];
  }
  const head = Buffer.allocUnsafe(16 + 4 + 1);
  writeHeader(head, head.length + payload.length, responseTo, OP_MSG);
  head.writeUInt32LE(0, 16);
  head[20] = 0;
  return [head, payload];
}

function writeHeader(out: Buffer, length: number, responseTo: number, opCode: number): void {
  out.writeInt32LE(length, 0);
  out.writeInt32LE(nextRequestId++ & 0x7fffffff, 4);
  out.writeInt32LE(responseTo, 8);
  out.writeInt32LE(opCode, 12);
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/**
 * `{cursor: {firstBatch|nextBatch: [...], id, ns}, ok: 1}` written by hand so that documents whose
 * serialized bytes are cached (raw-cache.ts) are copied instead of serialized again. Returns
 * null for any other reply shape.
 */
export function encodeCursorReply(reply: Doc): Buffer | null {
  const keys = Object.keys(reply);
  if (keys.length !== 2 || keys[0] !== 'cursor' || keys[1] !== 'ok' || reply.ok !== 1) return null;
  const cursor = reply.cursor as Doc;
  const ckeys = Object.keys(cursor);
  if (ckeys.length !== 3 || (ckeys[0] !== 'firstBatch' && ckeys[0] !== 'nextBatch') || ckeys[1] !== 'id' || ckeys[2] !== 'ns') return null;
  const batch = cursor[ckeys[0]] as Doc[];
  if (!(cursor.id instanceof Long) || typeof cursor.ns !== 'string' || !Array.isArray(batch)) return null;
  const docs = batch.map((d) => rawCache.get(d) ?? serialize(d));
  let arrayLen = 4 + 1;
  docs.forEach((raw, i) => {
    arrayLen += 1 + String(i).length + 1 + raw.length;
  });
  const ns = Buffer.from(cursor.ns, 'utf8');
  const batchName = Buffer.from(ckeys[0], 'latin1');
  const cursorLen = 4 + (1 + batchName.length + 1 + arrayLen) + (1 + 3 + 8) + (1 + 3 + 4 + ns.length + 1) + 1;
  const total = 4 + (1 + 7 + cursorLen) + (1 + 3 + 4) + 1;
  const out = Buffer.allocUnsafe(total);
  let p = 0;
  out.writeInt32LE(total, p); p += 4;
  out[p++] = 0x03; p += out.write('cursor\0', p, 'latin1');
  out.writeInt32LE(cursorLen, p); p += 4;
  out[p++] = 0x04; p += batchName.copy(out, p); out[p++] = 0;
  out.writeInt32LE(arrayLen, p); p += 4;
  docs.forEach((raw, i) => {
    out[p++] = 0x03;
    p += out.write(String(i) + '\0', p, 'latin1');
    out.set(raw, p);
    p += raw.length;
  });
  out[p++] = 0;
  out[p++] = 0x12; p += out.write('id\0', p, 'latin1');
  out.writeInt32LE((cursor.id as Long).low, p); out.writeInt32LE((cursor.id as Long).high, p + 4); p += 8;
  out[p++] = 0x02; p += out.write('ns\0', p, 'latin1');
  out.writeInt32LE(ns.length + 1, p); p += 4; p += ns.copy(out, p); out[p++] = 0;
  out[p++] = 0;
  out[p++] = 0x10; p += out.write('ok\0', p, 'latin1');
  out.writeInt32LE(1, p); p += 4;
  out[p++] = 0;
  if (p !== total) throw new Error(`cursor reply encoding: wrote ${p} of ${total} bytes`);
  return out;
}
