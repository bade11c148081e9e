// Secondary indexes kept in memory as key → set of _id keys. They serve two purposes: unique
// enforcement (E11000) and narrowing query candidates before mingo filters them.
import type { Query } from 'mingo/query';
import { newQuery } from './mingo-context';
import { type Doc, pathValues, shellValue, valueKey } from './keys';
import { MongoCommandError, unsupported } from './errors';

export interface IndexSpec {
  v?: number;
  key: Record<string, number | string>;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
  [option: string]: unknown;
}

const SEP = '\u0000';

export interface IndexEntry {
  keys: string[];
  firstKeys: string[];
  /** Keys of the first two fields, for a compound index (`lookupPair`). */
  pairKeys: string[];
  /** The values of the fields for each key, in the same order (for E11000 keyValue). */
  values: unknown[][];
}

export class Index {
  readonly spec: IndexSpec;
  readonly name: string;
  readonly fields: string[];
  private readonly paths: string[][];
  readonly unique: boolean;
  readonly sparse: boolean;
  private readonly partial: Query | null;
  /** full compound key → ids */
  readonly map: IdMap = new Map();
  /** first field's key → ids, only for compound indexes (prefix lookups) */
  readonly prefix: IdMap | null;
  /**
   * first two fields' key → ids, for compound indexes: a run's results filtered by run and
   * category ({runId, categories, householdCode}) are found without reading the run's other
   * results. A two-field unique index uses its whole-key `map` for this.
   */
  readonly pairs: IdMap | null;

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.name = spec.name;
    this.fields = Object.keys(spec.key);
    for (const f of this.fields) {
      const dir = spec.key[f];
      if (dir === 'text' || dir === '2d' || dir === '2dsphere' || dir === 'geoHaystack') throw unsupported(`index type "${dir}" (text and geo indexes)`);
      if (typeof dir === 'string' && dir !== 'hashed') throw new MongoCommandError('CannotCreateIndex', `Unknown index plugin '${dir}'`);
    }
    if (spec.collation && (spec.collation as Doc).locale !== 'simple') throw unsupported('collation on an index');
    this.paths = this.fields.map((f) => f.split('.'));
    this.unique = spec.unique === true;
    this.sparse = spec.sparse === true;
    this.partial = spec.partialFilterExpression ? newQuery(spec.partialFilterExpression) : null;
    this.prefix = this.fields.length > 1 ? new Map() : null;
    this.pairs = this.fields.length === 2 && this.unique ? this.map : this.fields.length > 1 ? new Map() : null;
  }

  /** True when this index can answer equality on `field` for any value (no partial/sparse holes). */
  servesEquality(field: string, value: unknown): boolean {
    if (this.fields[0] !== field || this.partial) return false;
    if (this.sparse && (value === null || value === undefined)) return false;
    return true;
  }

  // One-slot memo: a write checks a document's keys (conflict) and then stores them (add) right
  // after; stored documents are never mutated, so caching by reference is safe.
  private lastDoc: Doc | undefined;
  private lastEntry: IndexEntry | null = null;

  entry(doc: Doc): IndexEntry | null {
    if (doc === this.lastDoc) return this.lastEntry;
    const e = this.computeEntry(doc);
    this.lastDoc = doc;
    this.lastEntry = e;
    return e;
  }

  private computeEntry(doc: Doc): IndexEntry | null {
    if (this.partial && !this.partial.test(doc)) return null;
    // Each field's distinct values and their keys, each key computed once: a run's results
    // are inserted 250 at a time into three compound indexes, and the keys of the run id were
    // worked out again for every category and every key kind.
    const fieldValues: unknown[][] = [];
    const fieldKeys: string[][] = [];
    let anyPresent = false;
    for (const p of this.paths) {
      const vals = pathValues(doc, p);
      if (vals.length > 0) anyPresent = true;
      const values: unknown[] = [];
      const keys: string[] = [];
      // Most fields hold one value or a short array; a long array is deduplicated by a Set.
      const seen = vals.length > 16 ? new Set<string>() : null;
      for (const v of vals.length > 0 ? vals : [null]) {
        const k = valueKey(v);
        if (seen ? seen.has(k) : keys.includes(k)) continue;
        seen?.add(k);
        keys.push(k);
        values.push(v);
      }
      fieldValues.push(values);
      fieldKeys.push(keys);
    }
    if (this.sparse && !anyPresent) return null;
    const firstKeys = this.prefix ? fieldKeys[0] : [];
    // A two-field unique index's pairs are its whole keys (`map`), computed below.
    const pairKeys: string[] = [];
    if (this.pairs && this.pairs !== this.map) for (const a of fieldKeys[0]) for (const b of fieldKeys[1]) pairKeys.push(a + SEP + b);
    if (this.prefix && !this.unique) {
      // Queries are planned on an index's first field or first two (`lookupFirst`, `lookupPair`),
      // and only a unique index is checked on whole keys: a non-unique compound index keeps
      // those keys alone. For a run's results ({runId, categories, householdCode} and the
      // findings' twin) that is an id added to a few sets instead of a long key per category.
      return { keys: [], firstKeys, pairKeys, values: [] };
    }
    // Every combination of the fields' distinct values: distinct keys, since each field's are.
    let keys = [''];
    let values: unknown[][] = [[]];
    for (let f = 0; f < fieldKeys.length; f++) {
      const nextKeys: string[] = [];
      const nextValues: unknown[][] = [];
      for (let c = 0; c < keys.length; c++) {
        for (let i = 0; i < fieldKeys[f].length; i++) {
          nextKeys.push(f === 0 ? fieldKeys[f][i] : keys[c] + SEP + fieldKeys[f][i]);
          nextValues.push([...values[c], fieldValues[f][i]]);
        }
      }
      keys = nextKeys;
      values = nextValues;
    }
    return { keys, firstKeys: this.prefix ? firstKeys : keys, pairKeys, values };
  }

  add(id: string, doc: Doc): void {
    const e = this.entry(doc);
    if (!e) return;
    addAll(this.map, e.keys, id);
    if (this.prefix) addAll(this.prefix, e.firstKeys, id);
    if (this.pairs && this.pairs !== this.map) addAll(this.pairs, e.pairKeys, id);
  }

  remove(id: string, doc: Doc): void {
    const e = this.entry(doc);
    if (!e) return;
    removeAll(this.map, e.keys, id);
    if (this.prefix) removeAll(this.prefix, e.firstKeys, id);
    if (this.pairs && this.pairs !== this.map) removeAll(this.pairs, e.pairKeys, id);
  }

  /**
   * The first existing document (other than `id` and not excluded by `skip`) holding one of the
   * doc's keys in this unique index. Returns the conflicting key values for the E11000 message.
   */
  conflict(id: string, doc: Doc, skip?: (otherId: string) => boolean): unknown[] | null {
    if (!this.unique) return null;
    const e = this.entry(doc);
    if (!e) return null;
    for (let i = 0; i < e.keys.length; i++) {
      const ids = this.map.get(e.keys[i]);
      if (ids === undefined) continue;
      if (typeof ids === 'string') {
        if (ids !== id && !(skip && skip(ids))) return e.values[i];
        continue;
      }
      for (const other of ids) {
        if (other !== id && !(skip && skip(other))) return e.values[i];
      }
    }
    return null;
  }

  /** Ids holding `valueKey(v)` as the first field. */
  lookupFirst(key: string): Iterable<string> | undefined {
    const ids = (this.prefix ?? this.map).get(key);
    return typeof ids === 'string' ? [ids] : ids;
  }

  /** True when this compound index can answer equality on its first two fields for these values. */
  servesPair(first: string, a: unknown, second: string, b: unknown): boolean {
    if (!this.pairs || this.fields[1] !== second || !this.servesEquality(first, a)) return false;
    return !(this.sparse && (b === null || b === undefined));
  }

  /** Ids holding `valueKey(a)` and `valueKey(b)` as the first two fields. */
  lookupPair(a: string, b: string): Iterable<string> | undefined {
    const ids = this.pairs?.get(a + SEP + b);
    return typeof ids === 'string' ? [ids] : ids;
  }

  /** Keys of the doc in this index, for a pairwise check between two documents. */
  keysOf(doc: Doc): IndexEntry | null {
    return this.entry(doc);
  }
}

/**
 * Index key → the _id key holding it, or a Set when several do. Most keys (every key of a
 * unique index) have one holder, and a Set per key would cost ~100 bytes each at 450k keys.
 */
type IdMap = Map<string, string | Set<string>>;

function addAll(map: IdMap, keys: string[], id: string): void {
  for (const k of keys) {
    const cur = map.get(k);
    if (cur === undefined) map.set(k, id);
    else if (typeof cur === 'string') {
      if (cur !== id) map.set(k, new Set([cur, id]));
    } else cur.add(id);
  }
}

function removeAll(map: IdMap, keys: string[], id: string): void {
  for (const k of keys) {
    const cur = map.get(k);
    if (cur === undefined) continue;
    if (typeof cur === 'string') {
      if (cur === id) map.delete(k);
      continue;
    }
    cur.delete(id);
    if (cur.size === 1) map.set(k, cur.values().next().value as string);
    else if (cur.size === 0) map.delete(k);
  }
}

export function duplicateKeyError(ns: string, index: Index, values: unknown[]): MongoCommandError {
  const keyPattern: Doc = {};
  const keyValue: Doc = {};
  index.fields.forEach((f, i) => {
    keyPattern[f] = index.spec.key[f];
    keyValue[f] = values[i] ?? null;
  });
  const shown = index.fields.map((f, i) => `${f}: ${shellValue(values[i])}`).join(', ');
  return new MongoCommandError('DuplicateKey', `E11000 duplicate key error collection: ${ns} index: ${index.name} dup key: { ${shown} }`, {
    extra: { keyPattern, keyValue },
  });
}

export function defaultIndexName(key: Record<string, unknown>): string {
  return Object.entries(key).map(([k, v]) => `${k}_${v}`).join('_');
}
