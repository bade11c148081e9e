// MongoDB's sort order: values of different BSON types compare by type rank, and an array
// field sorts by its smallest element ascending and its largest descending. mingo sorts
// arrays differently, so sorting is done here.
import { Binary, BSONRegExp, Decimal128, Long, MaxKey, MinKey, ObjectId, Timestamp, Double, Int32, BSONSymbol } from 'bson';
import { MongoCommandError, unsupported } from './errors';
import { type Doc, isPlainObject, pathValues } from './keys';

function rank(v: unknown): number {
  if (v === undefined || v === null) return 2;
  switch (typeof v) {
    case 'number': case 'bigint': return 3;
    case 'string': return 4;
    case 'boolean': return 9;
  }
  if (v instanceof MinKey) return 1;
  if (v instanceof MaxKey) return 13;
  if (v instanceof Long || v instanceof Decimal128 || v instanceof Double || v instanceof Int32) return 3;
  if (v instanceof BSONSymbol) return 4;
  if (Array.isArray(v)) return 6;
  if (v instanceof Binary) return 7;
  if (v instanceof ObjectId) return 8;
  if (v instanceof Date) return 10;
  if (v instanceof Timestamp) return 11;
  if (v instanceof RegExp || v instanceof BSONRegExp) return 12;
  return 5; // embedded document
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Long) return v.toNumber();
  if (v instanceof Decimal128) return Number(v.toString());
  return Number((v as { valueOf(): number }).valueOf());
}

/**
 * MongoDB compares strings by their UTF-8 bytes, i.e. by code point. JavaScript compares UTF-16
 * code units, which puts characters beyond the BMP (surrogate pairs, e.g. rare 生僻字 in
 * CJK Extension B) before U+E000..U+FFFF; correct for that.
 */
function compareStrings(x: string, y: string): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const a = x.charCodeAt(i);
    const b = y.charCodeAt(i);
    if (a === b) continue;
    const sa = a >= 0xd800 && a <= 0xdfff;
    const sb = b >= 0xd800 && b <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1;
    return a - b;
  }
  return x.length - y.length;
}

export function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 2: case 1: case 13: return 0;
    case 3: {
      const x = num(a), y = num(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 4:
      return compareStrings(String(a), String(b));
    case 5: {
      const ka = Object.keys(a as Doc), kb = Object.keys(b as Doc);
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
        const c = compareValues((a as Doc)[ka[i]], (b as Doc)[kb[i]]);
        if (c !== 0) return c;
        if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
      }
      return ka.length - kb.length;
    }
    case 6: {
      const x = a as unknown[], y = b as unknown[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareValues(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    case 7: {
      const x = (a as Binary).buffer, y = (b as Binary).buffer;
      if (x.length !== y.length) return x.length - y.length;
      return Buffer.compare(Buffer.from(x), Buffer.from(y));
    }
    case 8: {
      const x = (a as ObjectId).toHexString(), y = (b as ObjectId).toHexString();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 9: return Number(a) - Number(b);
    case 10: return (a as Date).getTime() - (b as Date).getTime();
    case 11: return (a as Timestamp).compare(b as Timestamp);
    default: return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  }
}

type SortSpec = [path: string[], dir: 1 | -1][];

export function parseSort(sort: unknown): SortSpec | 'natural-desc' | null {
  if (sort === undefined || sort === null) return null;
  if (!isPlainObject(sort)) throw new MongoCommandError('TypeMismatch', "Expected field sort to be of type object");
  const out: SortSpec = [];
  for (const [field, dir] of Object.entries(sort)) {
    if (isPlainObject(dir)) {
      if (dir.$meta !== undefined) throw unsupported(`sort by { $meta: ${JSON.stringify(dir.$meta)} } (text search score)`);
      throw new MongoCommandError('BadValue', `Illegal key in $sort specification: ${field}: ${JSON.stringify(dir)}`);
    }
    const d = Number(dir);
    if (d !== 1 && d !== -1) throw new MongoCommandError('BadValue', '$sort key ordering must be 1 (for ascending) or -1 (for descending)');
    if (field === '$natural') {
      if (Object.keys(sort).length === 1) return d === -1 ? 'natural-desc' : null;
      continue;
    }
    out.push([field.split('.'), d as 1 | -1]);
  }
  return out.length > 0 ? out : null;
}

function sortKey(doc: Doc, path: string[], dir: 1 | -1): unknown {
  const values = pathValues(doc, path);
  if (values.length === 0) return null;
  let best = values[0];
  for (let i = 1; i < values.length; i++) {
    const c = compareValues(values[i], best);
    if ((dir === 1 && c < 0) || (dir === -1 && c > 0)) best = values[i];
  }
  return best === undefined ? null : best;
}

/** Stable sort of references (the stored documents are not copied). */
export function sortDocs(docs: Doc[], spec: SortSpec | 'natural-desc'): Doc[] {
  if (spec === 'natural-desc') return docs.reverse();
  const keyed = docs.map((d, i) => ({ d, i, k: spec.map(([p, dir]) => sortKey(d, p, dir)) }));
  keyed.sort((a, b) => {
    for (let j = 0; j < spec.length; j++) {
      const c = compareValues(a.k[j], b.k[j]);
      if (c !== 0) return spec[j][1] === 1 ? c : -c;
    }
    return a.i - b.i;
  });
  return keyed.map((x) => x.d);
}
