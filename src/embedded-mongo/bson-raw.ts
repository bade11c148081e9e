// Reading stored BSON without decoding all of it. The engine keeps every document as its BSON
// bytes (they carry the exact type of every value, and a reply can copy them as they are); a
// query that needs two fields of a household decodes those two fields, not the whole document.
import { isUtf8 } from 'node:buffer';
import { type DeserializeOptions, type ObjectId, deserialize } from 'bson';
import type { Doc } from './keys';

/**
 * Decoding that keeps numeric types as bson's wrapper classes (Int32, Double, Long): what a
 * value is stored as, for updates and for replies that must not change a type. Everything
 * else (evaluation by mingo, indexes) works on the default, promoted decoding.
 */
export const TYPED: DeserializeOptions = { promoteValues: false, promoteLongs: false };

export interface Element {
  name: string;
  type: number;
  /** Offset of the element's type byte. */
  start: number;
  /** Offset of the element's value. */
  value: number;
  /** Offset just past the element. */
  end: number;
}

/** Byte length of a value of BSON type `type` starting at `p` (bsonspec.org, version 1.1). */
function valueLength(buf: Buffer, type: number, p: number): number {
  switch (type) {
    case 0x01: case 0x09: case 0x11: case 0x12: return 8; // double, date, timestamp, int64
    case 0x02: case 0x0d: case 0x0e: return 4 + buf.readInt32LE(p); // string, code, symbol
    case 0x03: case 0x04: case 0x0f: return buf.readInt32LE(p); // document, array, code with scope
    case 0x05: return 5 + buf.readInt32LE(p); // binary: length, subtype, bytes
    case 0x06: case 0x0a: case 0x7f: case 0xff: return 0; // undefined, null, maxKey, minKey
    case 0x07: return 12; // ObjectId
    case 0x08: return 1; // boolean
    case 0x0b: return buf.indexOf(0, buf.indexOf(0, p) + 1) + 1 - p; // regex: two C strings
    case 0x0c: return 4 + buf.readInt32LE(p) + 12; // DBPointer
    case 0x10: return 4; // int32
    case 0x13: return 16; // decimal128
    default: throw new Error(`invalid BSON: unknown element type 0x${type.toString(16)}`);
  }
}

/** The elements of the document (or array) whose bytes start at `offset`. */
export function* elements(buf: Buffer, offset = 0): Generator<Element> {
  const last = offset + buf.readInt32LE(offset) - 1;
  let p = offset + 4;
  while (p < last) {
    const type = buf[p];
    const nul = buf.indexOf(0, p + 1);
    const name = buf.toString('utf8', p + 1, nul);
    const value = nul + 1;
    const end = value + valueLength(buf, type, value);
    yield { name, type, start: p, value, end };
    p = end;
  }
}

/** The bytes of each embedded document in the array element `name` of a document, or undefined. */
export function documentsIn(buf: Buffer, name: string): Buffer[] | undefined {
  for (const e of elements(buf)) {
    if (e.name !== name) continue;
    if (e.type !== 0x04) return undefined;
    const out: Buffer[] = [];
    for (const item of elements(buf, e.value)) {
      if (item.type !== 0x03) return undefined;
      out.push(buf.subarray(item.value, item.end));
    }
    return out;
  }
  return undefined;
}

/**
 * Decode only the top-level fields named in `names` (in stored order): their element bytes are
 * copied behind a new header and decoded in one call.
 */
export function pickFields(raw: Buffer, names: ReadonlySet<string>, options?: DeserializeOptions): Doc {
  const ranges: [number, number][] = [];
  let size = 5;
  for (const e of elements(raw)) {
    if (!names.has(e.name)) continue;
    ranges.push([e.start, e.end]);
    size += e.end - e.start;
  }
  if (ranges.length === 0) return {};
  const out = Buffer.allocUnsafe(size);
  out.writeInt32LE(size, 0);
  let p = 4;
  for (const [s, e] of ranges) p += raw.copy(out, p, s, e);
  out[p] = 0;
  return deserialize(out, options);
}

/** Whether the document's first field is `_id` (mongod stores it first). */
export function idFirst(raw: Buffer): boolean {
  return raw.length > 8 && raw[5] === 0x5f && raw[6] === 0x69 && raw[7] === 0x64 && raw[8] === 0; // "_id\0"
}

/**
 * The document's bytes with `_id` moved to the front (the driver appends the _id it generates;
 * mongod stores _id first), or with `generated` put there when it has none. Element bytes are
 * moved as they are, so every value keeps its type. The result is an allocation of its own.
 */
export function withIdFirstBytes(raw: Buffer, generated: ObjectId): Buffer {
  let id: Element | undefined;
  for (const e of elements(raw)) {
    if (e.name === '_id') {
      id = e;
      break;
    }
  }
  const idLength = id ? id.end - id.start : 1 + 4 + 12;
  const out = Buffer.allocUnsafeSlow(raw.length + (id ? 0 : idLength));
  out.writeInt32LE(out.length, 0);
  let p = 4;
  if (id) {
    p += raw.copy(out, p, id.start, id.end);
    p += raw.copy(out, p, 4, id.start);
    raw.copy(out, p, id.end);
  } else {
    out[p++] = 0x07;
    p += out.write('_id\0', p, 'latin1');
    out.set(generated.id, p);
    raw.copy(out, p + 12, 4);
  }
  return out;
}

export function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/**
 * A copy of `bytes` in an allocation of exactly their size, for bytes the engine keeps: small
 * Buffers otherwise come from Node's shared 8 KB pool, where three 2.2 KB households leave a
 * fifth of each pool unused for as long as any of them lives.
 */
export function ownBytes(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafeSlow(bytes.length);
  out.set(bytes);
  return out;
}

/**
 * Which parts of a document to decode: for each wanted field of one level, either null (the
 * whole value) or the level below (only those sub-fields; applied to each element of an array,
 * as field paths apply through arrays).
 */
export interface PathLevel {
  names: Buffer[];
  keys: string[];
  subs: (PathLevel | null)[];
}

/**
 * Build the decoding plan for dotted `paths` (decoded whole) and `containers` (paths whose
 * value is needed only for its shape: an $unwind'ed array whose elements' fields are listed in
 * `paths`). A path with a numeric step ('a.0.b') decodes its top-level field whole, since
 * field paths here apply to every element, not to one by index.
 */
export function compilePaths(paths: Iterable<string>, containers: Iterable<string> = []): PathLevel {
  type Node = Map<string, Node | null>;
  const root: Node = new Map();
  const add = (path: string, leaf: boolean) => {
    let parts = path.split('.');
    if (parts.some((p) => /^\d+$/.test(p))) {
      parts = parts.slice(0, 1);
      leaf = true;
    }
    let node = root;
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      const cur = node.get(parts[i]);
      if (cur === null) return; // an ancestor is decoded whole already
      if (last && leaf) {
        node.set(parts[i], null);
        return;
      }
      let next = cur;
      if (!next) node.set(parts[i], (next = new Map()));
      node = next;
    }
  };
  for (const p of paths) add(p, true);
  for (const p of containers) add(p, false);
  const compile = (node: Node): PathLevel => {
    const keys = [...node.keys()];
    return { keys, names: keys.map((k) => Buffer.from(k, 'utf8')), subs: keys.map((k) => (node.get(k) ? compile(node.get(k)!) : null)) };
  };
  return compile(root);
}

/** Decode only what `plan` asks for (see compilePaths), as bson's default decoding would. */
export function pickPaths(raw: Buffer, plan: PathLevel): Doc {
  return readDoc(raw, 0, plan);
}

/**
 * The offset of the NUL ending the C string (an element name) at `p`. A plain loop: names are a
 * few bytes, and Buffer#indexOf's native call costs more than scanning them.
 */
function cstringEnd(buf: Buffer, p: number): number {
  while (buf[p] !== 0) p++;
  return p;
}

function nameIndex(level: PathLevel, buf: Buffer, start: number, end: number): number {
  const len = end - start;
  outer: for (let i = 0; i < level.names.length; i++) {
    const n = level.names[i];
    if (n.length !== len) continue;
    for (let j = 0; j < len; j++) if (n[j] !== buf[start + j]) continue outer;
    return i;
  }
  return -1;
}

function readDoc(buf: Buffer, start: number, level: PathLevel): Doc {
  const out: Doc = {};
  const last = start + buf.readInt32LE(start) - 1;
  let found = 0;
  let p = start + 4;
  while (p < last && found < level.keys.length) {
    const type = buf[p];
    const nul = cstringEnd(buf, p + 1);
    const value = nul + 1;
    const end = value + valueLength(buf, type, value);
    const i = nameIndex(level, buf, p + 1, nul);
    if (i >= 0) {
      out[level.keys[i]] = readValue(buf, type, p, value, end, level.subs[i]);
      found++;
    }
    p = end;
  }
  return out;
}

function readArray(buf: Buffer, start: number, level: PathLevel): unknown[] {
  const out: unknown[] = [];
  const last = start + buf.readInt32LE(start) - 1;
  let p = start + 4;
  while (p < last) {
    const type = buf[p];
    const value = cstringEnd(buf, p + 1) + 1;
    const end = value + valueLength(buf, type, value);
    out.push(readValue(buf, type, p, value, end, level));
    p = end;
  }
  return out;
}

/** One value; the common scalars directly, anything else through bson on the element alone. */
function readValue(buf: Buffer, type: number, start: number, value: number, end: number, sub: PathLevel | null): unknown {
  switch (type) {
    case 0x02: return buf.toString('utf8', value + 4, end - 1);
    case 0x10: return buf.readInt32LE(value);
    case 0x01: return buf.readDoubleLE(value);
    case 0x08: return buf[value] === 1;
    case 0x0a: return null;
    case 0x09: return new Date(Number(buf.readBigInt64LE(value)));
    case 0x03: if (sub) return readDoc(buf, value, sub); break;
    case 0x04: if (sub) return readArray(buf, value, sub); break;
  }
  const wrapped = Buffer.allocUnsafe(4 + 2 + (end - value) + 1 + 1);
  wrapped.writeInt32LE(wrapped.length, 0);
  wrapped[4] = type;
  wrapped[5] = 0x76; // "v"
  wrapped[6] = 0;
  buf.copy(wrapped, 7, value, end);
  wrapped[wrapped.length - 1] = 0;
  return deserialize(wrapped).v;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Whether the document holds a number that bson's default decoding and encoding would not give
 * back with its type: a double with an integral value in the int32 range (it would come back
 * as an int32) or an int64 within 2^53 (decoded as a JS number). Most documents hold none, and
 * an update of those can encode its decoded result directly.
 */
export function hasRetypedNumbers(buf: Buffer, start = 0): boolean {
  const last = start + buf.readInt32LE(start) - 1;
  let p = start + 4;
  while (p < last) {
    const type = buf[p];
    const value = cstringEnd(buf, p + 1) + 1;
    if (type === 0x01) {
      const v = buf.readDoubleLE(value);
      if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff) return true;
    } else if (type === 0x12) {
      const v = buf.readBigInt64LE(value);
      if (v >= -SAFE && v <= SAFE) return true;
    } else if ((type === 0x03 || type === 0x04) && hasRetypedNumbers(buf, value)) {
      return true;
    }
    p = value + valueLength(buf, type, value);
  }
  return false;
}

/**
 * Why `buf` is not one well-formed BSON document, or null when it is: sizes, terminators,
 * element types, booleans and the UTF-8 of string values checked all the way down, nothing
 * decoded. These are the checks bson's decoding would fail on, so bytes that pass can be stored
 * as they are and read back later. An insert stores the bytes it was sent and reads only their
 * indexed fields (commands/write.ts); decoding each document in full only to check it was
 * about a tenth of the database thread's busy time on a county run's results.
 */
export function bsonProblem(buf: Buffer): string | null {
  if (buf.length < 5) return 'document shorter than 5 bytes';
  if (buf.readInt32LE(0) !== buf.length) return 'document size does not match its bytes';
  return documentProblem(buf, 0, buf.length);
}

/** The document at `start`, which must end by `limit`. */
function documentProblem(buf: Buffer, start: number, limit: number): string | null {
  if (limit - start < 5) return 'embedded document shorter than 5 bytes';
  const size = buf.readInt32LE(start);
  if (size < 5 || start + size > limit) return 'embedded document size out of range';
  const last = start + size - 1;
  if (buf[last] !== 0) return 'document not terminated by a NUL byte';
  let p = start + 4;
  while (p < last) {
    const type = buf[p];
    let nul = p + 1;
    while (nul < last && buf[nul] !== 0) nul++;
    if (nul >= last) return 'field name not terminated';
    const v = nul + 1;
    const length = valueProblemOrLength(buf, type, v, last);
    if (typeof length === 'string') return length;
    p = v + length;
  }
  return p === last ? null : 'elements run past the document';
}

/** The byte length of the value of `type` at `v` (ending by `last`), or why it is malformed. */
function valueProblemOrLength(buf: Buffer, type: number, v: number, last: number): number | string {
  const room = last - v;
  switch (type) {
    case 0x01: case 0x09: case 0x11: case 0x12: return fixedLength(8, room);
    case 0x07: return fixedLength(12, room);
    case 0x10: return fixedLength(4, room);
    case 0x13: return fixedLength(16, room);
    case 0x06: case 0x0a: case 0x7f: case 0xff: return 0;
    case 0x08:
      if (room < 1) return 'value runs past the document';
      return buf[v] === 0 || buf[v] === 1 ? 1 : 'boolean that is neither 0 nor 1';
    case 0x02: case 0x0d: case 0x0e: return stringProblemOrLength(buf, v, last);
    case 0x03: case 0x04: {
      if (room < 5) return 'value runs past the document';
      const problem = documentProblem(buf, v, last);
      return problem ?? buf.readInt32LE(v);
    }
    case 0x05: {
      if (room < 5) return 'value runs past the document';
      const n = buf.readInt32LE(v);
      if (n < 0 || 5 + n > room) return 'binary length out of range';
      if (buf[v + 4] === 0x02 && (n < 4 || buf.readInt32LE(v + 5) !== n - 4)) return 'old binary with a wrong inner length';
      return 5 + n;
    }
    case 0x0b: {
      let p = v;
      for (let i = 0; i < 2; i++) {
        while (p < last && buf[p] !== 0) p++;
        if (p >= last) return 'regular expression not terminated';
        p++;
      }
      return p - v;
    }
    case 0x0c: {
      const s = stringProblemOrLength(buf, v, last);
      if (typeof s === 'string') return s;
      return s + 12 <= room ? s + 12 : 'value runs past the document';
    }
    case 0x0f: {
      if (room < 4 + 5 + 5) return 'value runs past the document';
      const total = buf.readInt32LE(v);
      if (total < 14 || total > room) return 'code with scope size out of range';
      const s = stringProblemOrLength(buf, v + 4, v + total);
      if (typeof s === 'string') return s;
      const scope = v + 4 + s;
      const problem = documentProblem(buf, scope, v + total);
      if (problem) return problem;
      return scope + buf.readInt32LE(scope) === v + total ? total : 'code with scope size does not match its parts';
    }
    default: return `unknown element type 0x${type.toString(16)}`;
  }
}

/** A value of `n` bytes where `room` are left (a plain function: a closure per call costs a name under tsx). */
function fixedLength(n: number, room: number): number | string {
  return n <= room ? n : 'value runs past the document';
}

/** A string value (int32 length, UTF-8 bytes, NUL) at `v`: its byte length, or why it is malformed. */
function stringProblemOrLength(buf: Buffer, v: number, last: number): number | string {
  if (last - v < 5) return 'value runs past the document';
  const n = buf.readInt32LE(v);
  if (n < 1 || 4 + n > last - v) return 'string length out of range';
  if (buf[v + 4 + n - 1] !== 0) return 'string not terminated by a NUL byte';
  // Most strings here are codes and ids: ASCII is checked in place, the rest by Node's validator.
  let ascii = true;
  for (let i = v + 4, end = v + 4 + n - 1; i < end; i++) {
    if (buf[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (!ascii && !isUtf8(buf.subarray(v + 4, v + 4 + n - 1))) return 'string that is not valid UTF-8';
  return 4 + n;
}

/**
 * Where `projectIncluded` writes before copying its result out: one allocation reused by every
 * projected document of every find (the engine runs one command at a time on this thread).
 */
let projectScratch = Buffer.alloc(0);

/**
 * The bytes of a plain inclusion projection of the stored document `raw`, built by copying
 * element bytes, nothing decoded: what `compileProjection` gives for the same paths
 * (projection.ts `inclusionPlan` builds `plan` from the same tree), without decoding the kept
 * fields and encoding them again. `_id` comes first when `keepId` (whole: `plan` must not name
 * it), then the included fields in stored order. An included field is copied as it is
 * stored, so a Double stays a Double. A path through a sub-document keeps the sub-document with
 * only its included fields ({} when none is there); through an array it applies to every
 * element: documents and arrays are projected, scalars dropped, and the kept elements numbered
 * again from "0" (BSON arrays must be); through any other value it drops the field.
 *
 * Where the decoded path differs, these bytes keep what is stored, as mongod does: fields
 * named like array indexes ("2020") stay in stored order (a decoded JS object puts them first),
 * and a BSON undefined stays undefined (encoding the decoded object writes null).
 */
export function projectIncluded(raw: Buffer, plan: PathLevel, keepId: boolean): Buffer {
  // No output element is longer than the stored element it comes from, except that a kept array
  // element gets a new key: at most 10 digits, for an element of at least 7 bytes (type, an
  // empty name's NUL, an empty document). Three times the stored size is always enough.
  // A document past 1 MB gets room of its own, so that one large document does not keep
  // 3 × its size allocated for as long as the engine runs.
  const room = 3 * raw.length;
  if (projectScratch.length < room && room <= 3 << 20) projectScratch = Buffer.allocUnsafeSlow(Math.max(room, 64 * 1024));
  const out = projectScratch.length >= room ? projectScratch : Buffer.allocUnsafeSlow(room);
  let p = 4;
  if (keepId) {
    const id = idElement(raw);
    if (id) p += raw.copy(out, p, id[0], id[1]);
  }
  p = copyIncluded(raw, 0, plan, out, p, true);
  out[p++] = 0;
  out.writeInt32LE(p, 0);
  const result = Buffer.allocUnsafe(p);
  out.copy(result, 0, 0, p);
  return result;
}

/** Start and end offsets of the top-level `_id` element, first looked for where mongod stores it. */
function idElement(raw: Buffer): [number, number] | undefined {
  if (idFirst(raw)) return [4, 9 + valueLength(raw, raw[4], 9)];
  for (const e of elements(raw)) if (e.name === '_id') return [e.start, e.end];
  return undefined;
}

/**
 * Write the elements `level` keeps of the document at `start` into `out` from `p`; returns
 * where they end, or -1 when bson would decode that document as a DBRef (not a plain document,
 * so a path through it drops it, as `include` in projection.ts does). The top-level document is
 * never taken for one: the decoded path decodes only the fields a projection names, and a plain
 * projection names no `$` field.
 */
function copyIncluded(buf: Buffer, start: number, level: PathLevel, out: Buffer, p: number, top = false): number {
  const last = start + buf.readInt32LE(start) - 1;
  let dollar = false;
  let q = start + 4;
  while (q < last) {
    const type = buf[q];
    const nul = cstringEnd(buf, q + 1);
    const value = nul + 1;
    const end = value + valueLength(buf, type, value);
    if (buf[q + 1] === 0x24) dollar = true; // "$"
    const i = nameIndex(level, buf, q + 1, nul);
    const sub = i >= 0 ? level.subs[i] : undefined;
    if (sub === null) {
      p = copyBytes(buf, q, end, out, p);
    } else if (sub && (type === 0x03 || type === 0x04)) {
      const next = writeProjected(buf, type, value, sub, out, copyBytes(buf, q, value, out, p)); // after the type byte and name
      if (next >= 0) p = next;
    }
    q = end;
  }
  return dollar && !top && decodesAsDBRef(buf, start) ? -1 : p;
}

/**
 * `buf[start, end)` copied to `out` at `p`; returns where the copy ends. Short ranges (most
 * element names and scalar values) are copied by a loop: Buffer#copy's native call costs more.
 */
function copyBytes(buf: Buffer, start: number, end: number, out: Buffer, p: number): number {
  if (end - start > 64) return p + buf.copy(out, p, start, end);
  for (let i = start; i < end; i++) out[p++] = buf[i];
  return p;
}

/** The elements of a projected array: its documents and arrays projected and numbered again. */
function copyEach(buf: Buffer, start: number, level: PathLevel, out: Buffer, p: number): number {
  const last = start + buf.readInt32LE(start) - 1;
  let n = 0;
  let q = start + 4;
  while (q < last) {
    const type = buf[q];
    const value = cstringEnd(buf, q + 1) + 1;
    const end = value + valueLength(buf, type, value);
    if (type === 0x03 || type === 0x04) {
      out[p] = type;
      let name = p + 1;
      if (n < 10) out[name++] = 0x30 + n; // "0" to "9" without making a string: most arrays are short
      else name += out.write(String(n), name, 'latin1');
      out[name] = 0;
      const next = writeProjected(buf, type, value, level, out, name + 1);
      if (next >= 0) {
        p = next;
        n++;
      }
    }
    q = end;
  }
  return p;
}

/** A projected document or array value (size, elements, NUL) at `p`; -1 for a DBRef. */
function writeProjected(buf: Buffer, type: number, value: number, level: PathLevel, out: Buffer, p: number): number {
  const body = type === 0x03 ? copyIncluded(buf, value, level, out, p + 4) : copyEach(buf, value, level, out, p + 4);
  if (body < 0) return -1;
  out[body] = 0;
  out.writeInt32LE(body + 1 - p, p);
  return body + 1;
}

/**
 * Whether bson decodes the document at `start` as a DBRef (its `isDBRefLike`): its `$` fields
 * are only $ref, $id and $db, with a string $ref, an $id that is not null and a string $db or
 * none.
 */
function decodesAsDBRef(buf: Buffer, start: number): boolean {
  let ref = false;
  let id = false;
  let db = true;
  for (const e of elements(buf, start)) {
    if (!e.name.startsWith('$')) continue;
    if (e.name === '$ref') ref = e.type === 0x02;
    else if (e.name === '$id') id = e.type !== 0x0a && e.type !== 0x06;
    else if (e.name === '$db') db = e.type === 0x02;
    else return false;
  }
  return ref && id && db;
}
