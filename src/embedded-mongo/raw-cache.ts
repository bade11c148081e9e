// Serialized BSON of recently written stored documents. Returning a document costs mostly its
// serialization (a ~2 KB household: about as much as the rest of a findOne); the write path
// already produced those bytes for SQLite, and stored documents are never mutated, so the
// bytes stay valid for as long as that document object is the stored one. Bounded by bytes,
// least recently used first out.
import type { Doc } from './keys';

export class RawCache {
  private readonly entries = new Map<Doc, Uint8Array>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(doc: Doc): Uint8Array | undefined {
    const raw = this.entries.get(doc);
    if (raw) {
      this.entries.delete(doc);
      this.entries.set(doc, raw);
    }
    return raw;
  }

  set(doc: Doc, raw: Uint8Array): void {
    if (raw.length > this.maxBytes / 16) return;
    const old = this.entries.get(doc);
    if (old) this.bytes -= old.length;
    this.entries.delete(doc);
    this.entries.set(doc, raw);
    this.bytes += raw.length;
    while (this.bytes > this.maxBytes) {
      const [oldest, oldestRaw] = this.entries.entries().next().value as [Doc, Uint8Array];
      this.entries.delete(oldest);
      this.bytes -= oldestRaw.length;
    }
  }

  delete(doc: Doc): void {
    const raw = this.entries.get(doc);
    if (!raw) return;
    this.entries.delete(doc);
    this.bytes -= raw.length;
  }
}

/** Shared by the engine (which fills it) and the reply encoder (which reads it). */
export const rawCache = new RawCache(64 * 1024 * 1024);
