// One collection's working set: its documents' _id keys, with their BSON bytes in SQLite behind
// a bounded LRU (doc-store.ts; decoded on access, see decoded.ts), plus its secondary indexes.
// Reads go through the engine's `candidates()`, which narrows by an index when the filter allows
// it; mingo then applies the full filter.
import { type Doc, isPlainObject, valueKey } from './keys';
import { Index, type IndexSpec, duplicateKeyError } from './indexes';
import { decode, decodeOnce, forget, relate, remember } from './decoded';
import { type PathLevel, compilePaths, pickPaths } from './bson-raw';
import { filterFields } from './query';
import { DocStore } from './doc-store';
import type { Storage } from './storage';

export const ID_INDEX_SPEC: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

export class Collection {
  readonly cid: number;
  db: string;
  name: string;
  readonly options: Doc;
  readonly docs: DocStore;
  /** Secondary indexes (the _id index is the id set of `docs`). */
  readonly indexes: Index[] = [];
  /** _id key → commit sequence of its last write; kept only while transactions are open. */
  readonly lastWrite = new Map<string, number>();
  /**
   * The decoding plans of `indexView` and `insertView` (the same paths and `_id`), for the index
   * list they were made for; null: decode whole documents.
   */
  private indexPlan?: { indexes: Index[]; plan: PathLevel | null; withId: PathLevel | null };

  constructor(cid: number, db: string, name: string, options: Doc, storage: Storage) {
    this.cid = cid;
    this.docs = new DocStore(cid, storage, storage.cache);
    this.db = db;
    this.name = name;
    this.options = options;
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  indexSpecs(): IndexSpec[] {
    return [ID_INDEX_SPEC, ...this.indexes.map((i) => i.spec)];
  }

  /**
   * Throws E11000 when `doc` (with _id key `id`) would collide in a unique index. For an
   * insert an existing document with the same _id is itself the duplicate; `skip` hides ids
   * that a transaction overlay has replaced or deleted.
   */
  checkUnique(id: string, doc: Doc, insert: boolean, skip?: (otherId: string) => boolean): void {
    if (insert && this.docs.has(id) && !(skip && skip(id))) {
      throw duplicateKeyError(this.ns, new Index(ID_INDEX_SPEC), [doc._id]);
    }
    for (const index of this.indexes) {
      const values = index.conflict(id, doc, skip);
      if (values) throw duplicateKeyError(this.ns, index, values);
    }
  }

  /** The decoded stored document with _id key `id`. */
  get(id: string): Doc | undefined {
    const raw = this.docs.get(id);
    return raw && decode(raw);
  }

  /**
   * Replace (or delete, when `after` is undefined) the stored bytes; returns the old ones.
   * `afterDoc` is the decoded form of `after` when the caller has it (a write always does).
   */
  /**
   * `afterDoc`: the document `after` decodes to, or (`partial`) only its `_id` and indexed fields
   * (`insertView`), which serve the indexes but must not stand for the document in the decoded
   * cache.
   */
  apply(id: string, after: Buffer | undefined, afterDoc?: Doc, partial = false): Buffer | undefined {
    const before = this.docs.get(id);
    if (before) {
      if (this.indexes.length > 0) {
        const old = this.indexView(before);
        for (const index of this.indexes) index.remove(id, old);
      }
      forget(before);
    }
    if (after) {
      // An update's document is likely read again soon; an inserted one is not: it leaves memory
      // once SQLite holds it, as it is kept out of the decoded cache (decoded.ts `relate`). A
      // county run inserts 100,000 results that nothing reads during the run; caching them
      // evicted the households being read and kept the garbage collector busy with the churn.
      this.docs.set(id, after, before !== undefined);
      if (afterDoc && !partial) (before ? remember : relate)(after, afterDoc);
      if (this.indexes.length > 0) {
        const doc = afterDoc ?? this.indexView(after);
        for (const index of this.indexes) index.add(id, doc);
      }
    } else if (before) {
      this.docs.delete(id);
    }
    return before;
  }

  /** A document SQLite already holds (reload on start): index it, keep only its id. */
  load(id: string, raw: Buffer): void {
    this.docs.load(id);
    if (this.indexes.length > 0) {
      const doc = this.indexView(raw);
      for (const index of this.indexes) index.add(id, doc);
    }
  }

  /**
   * What the indexes need of stored bytes: the paths of their keys and the top-level fields
   * their partial filters read (loading 100k households decodes a code and a few ID numbers of
   * each, not whole households), or the whole document when a partial filter may read anything.
   */
  private indexView(raw: Buffer): Doc {
    const { plan } = this.plans();
    return plan ? pickPaths(raw, plan) : decodeOnce(raw);
  }

  /**
   * What an insert needs of a new document's bytes: its `_id` and what the indexes read
   * (`partial`), or the whole document when a partial filter may read anything.
   */
  insertView(raw: Buffer): { doc: Doc; partial: boolean } {
    const { withId } = this.plans();
    return withId ? { doc: pickPaths(raw, withId), partial: true } : { doc: decodeOnce(raw), partial: false };
  }

  private plans(): NonNullable<Collection['indexPlan']> {
    if (!this.indexPlan || this.indexPlan.indexes.length !== this.indexes.length || this.indexPlan.indexes.some((x, i) => x !== this.indexes[i])) {
      const fields = indexedFields(this.indexes);
      this.indexPlan = { indexes: [...this.indexes], plan: fields && compilePaths(fields), withId: fields && compilePaths([...fields, '_id']) };
    }
    return this.indexPlan;
  }

  /**
   * Narrow the documents a filter can match, using _id or the first field of an index for
   * equality / $in (also inside a top-level $and). Returns null when no index applies.
   */
  plan(filter: Doc | undefined): Set<string> | string[] | null {
    if (!filter) return null;
    let best: Set<string> | string[] | null = null;
    const consider = (ids: Set<string> | string[]) => {
      const size = Array.isArray(ids) ? ids.length : ids.size;
      const bestSize = best === null ? Infinity : Array.isArray(best) ? best.length : best.size;
      if (size < bestSize) best = ids;
    };
    const visit = (f: Doc) => {
      visitPairs(f);
      for (const field of Object.keys(f)) {
        if (field === '$and' && Array.isArray(f.$and)) {
          for (const sub of f.$and) if (isPlainObject(sub)) visit(sub);
          continue;
        }
        if (field.startsWith('$')) continue;
        const values = equalityValues(f[field]);
        if (!values) continue;
        if (field === '_id') {
          consider(values.map(valueKey).filter((k) => this.docs.has(k)));
          continue;
        }
        for (const index of this.indexes) {
          if (!values.every((v) => index.servesEquality(field, v))) continue;
          if (values.length === 1) {
            const hit = index.lookupFirst(valueKey(values[0]));
            consider(hit ? (Array.isArray(hit) ? hit : [...hit]) : []);
            break;
          }
          const ids = new Set<string>();
          for (const v of values) {
            const hit = index.lookupFirst(valueKey(v));
            if (hit) for (const id of hit) ids.add(id);
          }
          consider(ids);
          break;
        }
      }
    };
    // Equality on both leading fields of a compound index: the ids under each pair of values.
    const visitPairs = (f: Doc) => {
      for (const index of this.indexes) {
        if (!index.pairs) continue;
        const [first, second] = index.fields;
        const as = first in f ? equalityValues(f[first]) : null;
        const bs = as && second in f ? equalityValues(f[second]) : null;
        if (!as || !bs || !as.every((a) => bs.every((b) => index.servesPair(first, a, second, b)))) continue;
        const ids = new Set<string>();
        for (const a of as) {
          for (const b of bs) {
            const hit = index.lookupPair(valueKey(a), valueKey(b));
            if (hit) for (const id of hit) ids.add(id);
          }
        }
        consider(ids);
      }
    };
    visit(filter);
    return best;
  }
}

/** The paths the indexes read (keys, partial filters' fields), or null when a partial filter may read anything. */
function indexedFields(indexes: Index[]): Set<string> | null {
  const fields = new Set<string>();
  for (const index of indexes) {
    for (const f of index.fields) fields.add(f);
    const partial = index.spec.partialFilterExpression;
    if (partial && !filterFields(partial, fields)) return null;
  }
  return fields;
}

/**
 * Values a condition matches by plain equality, or null when the condition is anything else.
 * Arrays and regular expressions are excluded: they match elements or patterns, which an
 * index key lookup would miss.
 */
function equalityValues(cond: unknown): unknown[] | null {
  const simple = (v: unknown) => !(Array.isArray(v) || v instanceof RegExp || (v !== null && typeof v === 'object' && (v as { _bsontype?: string })._bsontype === 'BSONRegExp'));
  if (isPlainObject(cond)) {
    const keys = Object.keys(cond);
    if (keys.length === 0 || !keys[0].startsWith('$')) return hasOperator(cond) ? null : [cond];
    if (keys.length !== 1) return null;
    if (keys[0] === '$eq' && simple(cond.$eq) && !isPlainObjectWithOps(cond.$eq)) return [cond.$eq];
    if (keys[0] === '$in' && Array.isArray(cond.$in) && cond.$in.every((v) => simple(v) && !isPlainObjectWithOps(v))) return cond.$in;
    return null;
  }
  return simple(cond) ? [cond] : null;
}

function hasOperator(o: Doc): boolean {
  return Object.keys(o).some((k) => k.startsWith('$'));
}

function isPlainObjectWithOps(v: unknown): boolean {
  return isPlainObject(v) && hasOperator(v);
}
