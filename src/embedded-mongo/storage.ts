// Durable storage on SQLite. Documents' bytes are read from here by primary key (doc-store.ts
// keeps only their ids and a bounded LRU in memory); on start the ids are reloaded and the
// indexes rebuilt from the bytes once.
//
// Durability choice: journal_mode=WAL with synchronous=NORMAL, and FULL for a command whose
// write concern asks for the journal (j: true). In WAL mode a commit under NORMAL is written to
// the WAL file before the transaction returns, so an acknowledged write survives the process
// being killed (kill -9) because the OS already holds it; only an OS crash or power loss may
// lose the last commits before the next checkpoint's fsync. That is mongod's own default
// (w:1 on a standalone acknowledges before the journal flush, at most ~100 ms later), while an
// fsync per command under FULL measured 10-15 ms on this disk, which would cap sequential writes
// at ~80/s. Each write command (and each transaction commit) is one SQLite transaction.
import Database from 'better-sqlite3';
import path from 'node:path';
import { deserialize, serialize } from 'bson';
import type { Doc } from './keys';
import type { IndexSpec } from './indexes';
import { DEFAULT_CACHE_BYTES, DocumentCache } from './doc-store';

export interface StoredCollection { cid: number; db: string; name: string; options: Doc }
export interface StoredIndex { cid: number; name: string; spec: IndexSpec }
export interface DocWrite { cid: number; id: string; body: Uint8Array | null }

export class Storage {
  private readonly db: Database.Database;
  private readonly stmts;
  /** The engine's one LRU of document bytes (doc-store.ts). */
  readonly cache: DocumentCache;

  constructor(dataDir: string, cacheBytes = DEFAULT_CACHE_BYTES) {
    this.cache = new DocumentCache(cacheBytes);
    this.db = new Database(path.join(dataDir, 'engine.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS collections (cid INTEGER PRIMARY KEY AUTOINCREMENT, db TEXT NOT NULL, name TEXT NOT NULL, options BLOB NOT NULL, UNIQUE(db, name));
      CREATE TABLE IF NOT EXISTS indexes (cid INTEGER NOT NULL, name TEXT NOT NULL, spec BLOB NOT NULL, PRIMARY KEY(cid, name));
      CREATE TABLE IF NOT EXISTS documents (cid INTEGER NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY(cid, id));
      -- A full scan of one collection reads its rows in rowid (natural) order, page by page,
      -- without walking the rows of the others (documentPage).
      CREATE INDEX IF NOT EXISTS documents_by_cid ON documents (cid);
    `);
    this.stmts = {
      insertColl: this.db.prepare('INSERT INTO collections (db, name, options) VALUES (?, ?, ?)'),
      deleteColl: this.db.prepare('DELETE FROM collections WHERE cid = ?'),
      deleteCollDocs: this.db.prepare('DELETE FROM documents WHERE cid = ?'),
      deleteCollIndexes: this.db.prepare('DELETE FROM indexes WHERE cid = ?'),
      putIndex: this.db.prepare('INSERT OR REPLACE INTO indexes (cid, name, spec) VALUES (?, ?, ?)'),
      deleteIndex: this.db.prepare('DELETE FROM indexes WHERE cid = ? AND name = ?'),
      // ON CONFLICT DO UPDATE keeps the rowid, so reload order stays insertion order (natural order).
      putDoc: this.db.prepare('INSERT INTO documents (cid, id, body) VALUES (?, ?, ?) ON CONFLICT(cid, id) DO UPDATE SET body = excluded.body'),
      deleteDoc: this.db.prepare('DELETE FROM documents WHERE cid = ? AND id = ?'),
      getDoc: this.db.prepare('SELECT body FROM documents WHERE cid = ? AND id = ?').pluck(true),
      docPage: this.db.prepare('SELECT rowid, id, body FROM documents WHERE cid = ? AND rowid > ? ORDER BY rowid LIMIT ?').raw(true),
      hasDoc: this.db.prepare('SELECT 1 FROM documents WHERE cid = ? AND id = ?').pluck(true),
      renameColl: this.db.prepare('UPDATE collections SET db = ?, name = ? WHERE cid = ?'),
    };
  }

  loadCollections(): StoredCollection[] {
    return (this.db.prepare('SELECT cid, db, name, options FROM collections ORDER BY cid').all() as { cid: number; db: string; name: string; options: Buffer }[])
      .map((r) => ({ cid: r.cid, db: r.db, name: r.name, options: deserialize(r.options) }));
  }

  loadIndexes(): StoredIndex[] {
    return (this.db.prepare('SELECT cid, name, spec FROM indexes ORDER BY rowid').all() as { cid: number; name: string; spec: Buffer }[])
      .map((r) => ({ cid: r.cid, name: r.name, spec: deserialize(r.spec) as IndexSpec }));
  }

  /** Stored documents as their BSON bytes, in insertion (natural) order. */
  *iterateDocuments(): Generator<{ cid: number; id: string; raw: Buffer }> {
    const stmt = this.db.prepare('SELECT cid, id, body FROM documents ORDER BY rowid').raw(true);
    for (const row of stmt.iterate() as Iterable<[number, string, Buffer]>) {
      yield { cid: row[0], id: row[1], raw: row[2] };
    }
  }

  /** One document's bytes by primary key (a cache miss of doc-store.ts). */
  readDocument(cid: number, id: string): Buffer | undefined {
    return this.stmts.getDoc.get(cid, id) as Buffer | undefined;
  }

  /** Whether SQLite holds a document (a pinned write may not be there yet). */
  hasDocument(cid: number, id: string): boolean {
    return this.stmts.hasDoc.get(cid, id) !== undefined;
  }

  /**
   * Up to `limit` documents of a collection after rowid `after`, in rowid (natural) order. A
   * page is read whole (`all`, not `iterate`): better-sqlite3 refuses writes on a connection
   * while one of its iterators is open, and a scan's consumer may write between two pages.
   */
  documentPage(cid: number, after: number, limit: number): [number, string, Buffer][] {
    return this.stmts.docPage.all(cid, after, limit) as [number, string, Buffer][];
  }

  createCollection(db: string, name: string, options: Doc): number {
    return Number(this.stmts.insertColl.run(db, name, serialize(options)).lastInsertRowid);
  }

  dropCollections(cids: number[]): void {
    this.db.transaction(() => {
      for (const cid of cids) {
        this.stmts.deleteCollDocs.run(cid);
        this.stmts.deleteCollIndexes.run(cid);
        this.stmts.deleteColl.run(cid);
      }
    })();
  }

  renameCollection(cid: number, db: string, name: string): void {
    this.stmts.renameColl.run(db, name, cid);
  }

  putIndex(cid: number, spec: IndexSpec): void {
    this.stmts.putIndex.run(cid, spec.name, serialize(spec));
  }

  dropIndex(cid: number, name: string): void {
    this.stmts.deleteIndex.run(cid, name);
  }

  /**
   * One SQLite transaction: all or nothing, in the WAL when it returns; with `fsync` (write
   * concern j: true) also flushed to the disk.
   */
  writeDocuments(writes: DocWrite[], fsync = false): void {
    if (writes.length === 0) return;
    const { putDoc, deleteDoc } = this.stmts;
    if (fsync) this.db.pragma('synchronous = FULL');
    try {
      this.db.transaction(() => {
        for (const w of writes) {
          if (w.body) putDoc.run(w.cid, w.id, w.body);
          else deleteDoc.run(w.cid, w.id);
        }
      })();
    } finally {
      if (fsync) this.db.pragma('synchronous = NORMAL');
    }
  }

  close(): void {
    this.db.close();
  }
}
