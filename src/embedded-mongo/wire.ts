// MongoDB wire protocol framing: the legacy OP_QUERY/OP_REPLY pair the driver still uses for
// its first handshake, and OP_MSG for everything else (mongodb/specifications, OP_MSG spec).
import { deserialize, serialize } from 'bson';
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
  const payload = toBuffer(serialize(doc));
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
