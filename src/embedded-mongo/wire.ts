// MongoDB wire protocol framing: the legacy OP_QUERY/OP_REPLY pair the driver still uses for
// its first handshake, and OP_MSG for everything else (mongodb/specifications, OP_MSG spec).
import { Long, deserialize, serialize } from 'bson';
import { TYPED, documentsIn, toBuffer } from './bson-raw';
import { storedBytes } from './decoded';
import { MongoCommandError } from './errors';
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
  /** The bytes it arrived as (OP_MSG only). */
  raw?: RawCommand;
}

/**
 * The bytes of a command. The body is decoded with bson's promotion (JS numbers), which is
 * what evaluation needs; writes also need what the client sent exactly: an inserted document's
 * own bytes, and an update's values with their numeric types (a Double(2) stays a double).
 */
export class RawCommand {
  private typedBody?: Doc;

  constructor(private readonly body: Buffer, private readonly sequences: [string, Buffer[]][]) {}

  /** The command decoded with numeric types kept (Int32/Double/Long), sequences merged as in `body`. */
  typed(): Doc {
    if (!this.typedBody) {
      const t = deserialize(this.body, TYPED);
      for (const [name, docs] of this.sequences) t[name] = docs.map((d) => deserialize(d, TYPED));
      this.typedBody = t;
    }
    return this.typedBody;
  }

  /** The bytes of each document of the array `name` (insert's `documents`); views into the message. */
  documents(name: string): Buffer[] | undefined {
    const seq = this.sequences.find(([n]) => n === name);
    return seq ? seq[1] : documentsIn(this.body, name);
  }
}

/**
 * `body[name]` as the decoded documents of a document sequence, decoded the first time it is
 * read. An insert reads the bytes instead (`RawCommand.documents`): it checks them, stores them
 * as they are and decodes only their indexed fields (commands/write.ts), where decoding every
 * inserted document here was about a tenth of the database thread's busy time in a county run.
 * Bytes that are not BSON fail the command that reads them with FailedToParse, as they failed
 * the whole message before.
 */
function decodedWhenRead(body: Doc, name: string, raws: Buffer[]): void {
  const settle = (value: unknown) => Object.defineProperty(body, name, { value, writable: true, enumerable: true, configurable: true });
  Object.defineProperty(body, name, {
    enumerable: true,
    configurable: true,
    get() {
      let docs: Doc[];
      try {
        docs = raws.map((raw) => deserialize(raw));
      } catch (err) {
        throw new MongoCommandError('FailedToParse', `invalid BSON: ${(err as Error).message}`);
      }
      settle(docs);
      return docs;
    },
    set: settle,
  });
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
    let bodyBytes: Buffer | undefined;
    const rawSequences: [string, Buffer[]][] = [];
    while (pos < end) {
      const kind = msg[pos++];
      if (kind === 0) {
        const size = msg.readInt32LE(pos);
        bodyBytes = msg.subarray(pos, pos + size);
        body = deserialize(bodyBytes);
        pos += size;
      } else if (kind === 1) {
        const size = msg.readInt32LE(pos);
        const sectionEnd = pos + size;
        let p = pos + 4;
        const nul = msg.indexOf(0, p);
        const identifier = msg.toString('utf8', p, nul);
        p = nul + 1;
        const raws: Buffer[] = [];
        while (p < sectionEnd) {
          const dsize = msg.readInt32LE(p);
          if (dsize < 5 || p + dsize > sectionEnd) throw new Error('a document of a document sequence runs past its section');
          raws.push(msg.subarray(p, p + dsize));
          p += dsize;
        }
        rawSequences.push([identifier, raws]);
        pos = sectionEnd;
      } else {
        throw new ProtocolError(`unknown OP_MSG section kind ${kind}`);
      }
    }
    if (!body || !bodyBytes) throw new ProtocolError('OP_MSG without a body section');
    for (const [name, raws] of rawSequences) decodedWhenRead(body, name, raws);
    return { header, body, moreToCome: (flags & FLAG_MORE_TO_COME) !== 0, legacy: false, raw: new RawCommand(bodyBytes, rawSequences) };
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
  const payload = encodeCursorReply(doc) ?? toBuffer(serialize(withDecodedBatch(doc)));
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

/**
 * A cursor reply in a shape `encodeCursorReply` does not write, with stored bytes in its batch
 * decoded again (bson would encode a Buffer as binary data).
 */
function withDecodedBatch(reply: Doc): Doc {
  const cursor = reply.cursor as Doc | undefined;
  if (!cursor || typeof cursor !== 'object') return reply;
  const out: Doc = { ...cursor };
  for (const key of ['firstBatch', 'nextBatch']) {
    if (Array.isArray(cursor[key])) out[key] = (cursor[key] as unknown[]).map((d) => (Buffer.isBuffer(d) ? deserialize(d, TYPED) : d));
  }
  return { ...reply, cursor: out };
}

function writeHeader(out: Buffer, length: number, responseTo: number, opCode: number): void {
  out.writeInt32LE(length, 0);
  out.writeInt32LE(nextRequestId++ & 0x7fffffff, 4);
  out.writeInt32LE(responseTo, 8);
  out.writeInt32LE(opCode, 12);
}

/**
 * `{cursor: {firstBatch|nextBatch: [...], id, ns}, ok: 1}` written by hand so that stored
 * documents (given as their bytes, or decoded objects whose bytes decoded.ts knows) are copied
 * instead of serialized again, which also keeps every value's BSON type. Returns null for any
 * other reply shape.
 */
export function encodeCursorReply(reply: Doc): Buffer | null {
  const keys = Object.keys(reply);
  if (keys.length !== 2 || keys[0] !== 'cursor' || keys[1] !== 'ok' || reply.ok !== 1) return null;
  const cursor = reply.cursor as Doc;
  const ckeys = Object.keys(cursor);
  if (ckeys.length !== 3 || (ckeys[0] !== 'firstBatch' && ckeys[0] !== 'nextBatch') || ckeys[1] !== 'id' || ckeys[2] !== 'ns') return null;
  const batch = cursor[ckeys[0]] as (Doc | Buffer)[];
  if (!(cursor.id instanceof Long) || typeof cursor.ns !== 'string' || !Array.isArray(batch)) return null;
  const docs = batch.map((d) => (Buffer.isBuffer(d) ? d : storedBytes(d) ?? serialize(d)));
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
