// Canonical keys for BSON values: the in-memory maps (_id → document, index key → ids) need a
// string that is equal exactly when MongoDB's equality says two values are equal
// (1 == 1.0 == NumberLong(1); null == missing for index purposes; embedded documents compare
// field by field in order).
import { Binary, BSONRegExp, Decimal128, Long, ObjectId, Timestamp, Double, Int32, UUID, MinKey, MaxKey, BSONSymbol, Code } from 'bson';

export type Doc = Record<string, any>;

export function valueKey(v: unknown): string {
  if (v === undefined || v === null) return 'z';
  switch (typeof v) {
    case 'number': return 'n' + (v === 0 ? 0 : v);
    case 'string': return 's' + v.length + ':' + v;
    case 'boolean': return v ? 'bt' : 'bf';
    case 'bigint': return 'n' + Number(v);
    case 'object': break;
    default: return 'x' + String(v);
  }
  if (Array.isArray(v)) {
    let out = 'a' + v.length + '[';
    for (const e of v) out += valueKey(e) + ',';
    return out + ']';
  }
  if (v instanceof Date) return 'd' + v.getTime();
  if (v instanceof ObjectId) return 'o' + v.toHexString();
  if (v instanceof Long) return 'n' + v.toNumber();
  if (v instanceof Double || v instanceof Int32) return 'n' + v.valueOf();
  if (v instanceof Decimal128) {
    // Decimal128 values equal to a double are equal in MongoDB; compare through the number when exact.
    const s = v.toString();
    const n = Number(s);
    return Number.isFinite(n) && String(n) === s ? 'n' + n : 'D' + s;
  }
  if (v instanceof UUID || v instanceof Binary) return 'B' + (v as Binary).sub_type + ':' + (v as Binary).toString('base64');
  if (v instanceof RegExp) return 'r' + v.source + '/' + v.flags;
  if (v instanceof BSONRegExp) return 'r' + v.pattern + '/' + v.options;
  if (v instanceof Timestamp) return 't' + v.toString();
  if (v instanceof MinKey) return 'm-';
  if (v instanceof MaxKey) return 'm+';
  if (v instanceof BSONSymbol) return 's' + v.valueOf().length + ':' + v.valueOf();
  if (v instanceof Code) return 'c' + v.code;
  let out = 'O{';
  for (const k of Object.keys(v)) {
    const e = (v as Doc)[k];
    if (e === undefined) continue;
    out += k.length + ':' + k + '=' + valueKey(e) + ',';
  }
  return out + '}';
}

/**
 * Deep copy that keeps BSON class instances (ObjectId, Long, Decimal128, Binary are immutable
 * in practice and are shared); used before any in-place mutation (mingo's updater, pipelines)
 * so that stored documents never change behind the storage layer's back.
 */
export function cloneDoc<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(cloneDoc) as unknown as T;
  if (v instanceof Date) return new Date(v.getTime()) as unknown as T;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  const out: Doc = {};
  for (const k of Object.keys(v)) out[k] = cloneDoc((v as Doc)[k]);
  return out as T;
}

export function isPlainObject(v: unknown): v is Doc {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Values reached by a dotted path, fanning out over arrays the way a multikey index does.
 * Returns [] when the path is missing everywhere.
 */
export function pathValues(doc: unknown, path: string[], i = 0, out: unknown[] = []): unknown[] {
  if (i === path.length) {
    if (Array.isArray(doc)) {
      if (doc.length === 0) out.push(undefined);
      else for (const e of doc) out.push(e);
    } else {
      out.push(doc);
    }
    return out;
  }
  if (Array.isArray(doc)) {
    const idx = /^\d+$/.test(path[i]) ? Number(path[i]) : -1;
    if (idx >= 0 && idx < doc.length) pathValues(doc[idx], path, i + 1, out);
    for (const e of doc) if (isPlainObject(e)) pathValues(e, path, i, out);
    return out;
  }
  if (!isPlainObject(doc)) return out;
  const next = doc[path[i]];
  if (next === undefined) return out;
  return pathValues(next, path, i + 1, out);
}

/** Plain dotted get without array fan-out (for simple field reads such as `_id`). */
export function getPath(doc: unknown, path: string): unknown {
  let cur: any = doc;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[p];
  }
  return cur;
}

export function setPath(doc: Doc, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: Doc = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    if (!isPlainObject(cur[parts[i]]) && !Array.isArray(cur[parts[i]])) cur[parts[i]] = {};
    cur = cur[parts[i]];
  }
  cur[parts[parts.length - 1]] = value;
}

/**
 * True when any value inside is a Decimal128 or a Long (an int64 beyond 2^53: smaller ones are
 * promoted to numbers on decode). mingo's arithmetic on those is wrong, so we refuse it.
 */
export function containsDecimal(v: unknown): boolean {
  if (v instanceof Decimal128 || v instanceof Long) return true;
  if (Array.isArray(v)) return v.some(containsDecimal);
  if (isPlainObject(v)) return Object.values(v).some(containsDecimal);
  return false;
}

/** Render a value the way mongod prints it in E11000 messages: { field: "value" }. */
export function shellValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof ObjectId) return `ObjectId('${v.toHexString()}')`;
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (Array.isArray(v)) return '[ ' + v.map(shellValue).join(', ') + ' ]';
  if (isPlainObject(v)) return '{ ' + Object.entries(v).map(([k, e]) => `${k}: ${shellValue(e)}`).join(', ') + ' }';
  return String(v);
}
