// Where a collection's documents live (issues 5 and 6): the set of _id keys stays in memory (the
// natural order, `has` and `size` need no disk), while the BSON bytes live in SQLite and only a
// bounded LRU of recently written or read bytes is kept in memory. Before this, every document's
// bytes stayed in a Map: ~270 MB for 100k households, and the service grew with every county.
//
// Written bytes are pinned (`pending`) until the command's SQLite transaction has committed: a
// command applies its writes to memory first and persists them at its end (engine.ts), so if
// the LRU evicted them in between, a read would fall back to SQLite and see the old version.
// `settle()` hands them over to the LRU once SQLite holds them (or once a failed write has been
// rolled back in memory).
import type { Storage } from './storage';

/** Rows per SQLite read of a full scan: ~1.5 MB of households. */
const PAGE_ROWS = 512;

/** Default byte budget of the document LRU, shared by all collections of an engine. */
export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * One LRU of document bytes for the whole engine, bounded by the sum of their lengths (a Map
 * keeps insertion order: re-inserting on a hit moves the entry to the young end).
 */
export class DocumentCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(readonly maxBytes = DEFAULT_CACHE_BYTES) {}

  get(key: string): Buffer | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, raw: Buffer): void {
    this.delete(key);
    if (raw.length > this.maxBytes) return;
    this.entries.set(key, raw);
    this.bytes += raw.length;
    if (this.bytes <= this.maxBytes) return;
    // Evict down to 90% in one walk from the old end: a fresh Map iterator first steps over
    // every entry deleted since V8 last compacted the table, so one iterator per eviction made
    // a 100k-document load spend a second here.
    const target = this.maxBytes * 0.9;
    for (const [oldKey, old] of this.entries) {
      if (this.bytes <= target) break;
      this.entries.delete(oldKey);
      this.bytes -= old.length;
    }
  }

  delete(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.bytes -= old.length;
  }

  /** Visible for tests and the bench: bytes held. */
  get size(): number {
    return this.bytes;
  }
}

export class DocStore {
  /** _id keys in natural order (insertion order; SQLite's rowid order matches, see storage.ts). */
  private readonly ids = new Set<string>();
  /** Bytes applied in memory whose SQLite write has not committed yet: never evicted. */
  private readonly pending = new Map<string, Buffer>();
  /** Pending ids whose bytes are not cached once SQLite holds them (`set` with `cache` false). */
  private readonly uncached = new Set<string>();
  private readonly prefix: string;
  /** Counts writes, so that a scan knows when the page it holds may be stale. */
  private writes = 0;

  constructor(private readonly cid: number, private readonly storage: Storage, private readonly cache: DocumentCache) {
    this.prefix = `${cid}:`;
  }

  get size(): number {
    return this.ids.size;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /**
   * The stored bytes of `id`. A miss reads SQLite by primary key; `keep` = false leaves the
   * bytes out of the LRU, so that a full scan does not push every hot document out for
   * documents it reads once.
   */
  get(id: string, keep = true): Buffer | undefined {
    if (!this.ids.has(id)) return undefined;
    const mine = this.pending.get(id);
    if (mine) return mine;
    const key = this.prefix + id;
    let raw = this.cache.get(key);
    if (!raw) {
      raw = this.storage.readDocument(this.cid, id);
      if (raw && keep) this.cache.set(key, raw);
    }
    return raw;
  }

  /**
   * A write applied in memory: pinned until `settle()`, then cached unless `cache` is false (an
   * inserted document: collection.ts `apply`).
   */
  set(id: string, raw: Buffer, cache = true): void {
    this.ids.add(id);
    this.pending.set(id, raw);
    if (cache) this.uncached.delete(id);
    else this.uncached.add(id);
    this.writes++;
  }

  delete(id: string): void {
    this.ids.delete(id);
    this.pending.delete(id);
    this.uncached.delete(id);
    this.writes++;
    this.cache.delete(this.prefix + id);
  }

  /** A document that SQLite already holds (reload on start): only its id is kept. */
  load(id: string): void {
    this.ids.add(id);
  }

  /** SQLite now agrees with memory: pinned bytes become ordinary cache entries, or leave memory. */
  settle(): void {
    for (const [id, raw] of this.pending) if (!this.uncached.has(id)) this.cache.set(this.prefix + id, raw);
    this.pending.clear();
    this.uncached.clear();
    this.writes++;
  }

  keys(): IterableIterator<string> {
    return this.ids.values();
  }

  /**
   * Every document in natural order, read from SQLite a page at a time in rowid order (a point
   * read per document made a 100k-household aggregate four times slower). Like a Map's
   * iterator, documents deleted meanwhile are skipped and documents added meanwhile are
   * visited: a new row gets a higher rowid, and nothing holds SQLite open between two pages, so
   * the consumer may write while it walks. Pinned writes are not in SQLite yet: their bytes
   * replace the page's, and pinned inserts come last, as they would in the id set.
   */
  *entries(): Generator<[string, Buffer]> {
    let after = 0; // rowids start at 1
    for (;;) {
      const page = this.storage.documentPage(this.cid, after, PAGE_ROWS);
      if (page.length === 0) break;
      const writes = this.writes;
      for (const [rowid, id, body] of page) {
        after = rowid;
        if (!this.ids.has(id)) continue;
        // A write since the page was read (the consumer may write between two documents, e.g.
        // an update command, or a cursor between batches) may have changed the page's rows:
        // read each of them again. Rows added meanwhile come in the next pages.
        if (this.writes === writes) yield [id, this.pending.get(id) ?? body];
        else {
          const raw = this.get(id, false);
          if (raw) yield [id, raw];
        }
      }
    }
    if (this.pending.size === 0) return;
    for (const id of [...this.pending.keys()]) {
      const raw = this.pending.get(id);
      if (raw && !this.storage.hasDocument(this.cid, id)) yield [id, raw];
    }
  }

  [Symbol.iterator](): Generator<[string, Buffer]> {
    return this.entries();
  }
}
