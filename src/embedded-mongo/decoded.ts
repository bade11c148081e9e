// Stored documents live as BSON bytes (about a fifth of the memory of the decoded objects, and
// exact about numeric types); the decoded object of a document is made when a command needs
// it. A small LRU keeps the objects of recently used documents, so that a findOne or an update
// of the same household does not decode it again, and a WeakMap remembers which bytes a decoded
// object came from, so that a reply can copy those bytes instead of serialising the object.
// Decoded stored documents are shared: they must never be mutated (the engine's rule since the
// beginning, see update.ts and aggregate.ts).
import { deserialize } from 'bson';
import type { Doc } from './keys';

/** Decoded households are ~8 KB of heap each: 4096 of them stay well under 50 MB. */
const MAX_CACHED = 4096;

const cache = new Map<Buffer, Doc>();
const bytesOf = new WeakMap<Doc, Buffer>();

/** The decoded object of stored bytes, kept in the LRU (point reads, write targets). */
export function decode(raw: Buffer): Doc {
  const hit = cache.get(raw);
  if (hit) {
    cache.delete(raw);
    cache.set(raw, hit);
    return hit;
  }
  const doc = deserialize(raw);
  remember(raw, doc);
  return doc;
}

/**
 * The decoded object without caching it: a full scan would otherwise push every hot document
 * out of the LRU for documents it reads once.
 */
export function decodeOnce(raw: Buffer): Doc {
  const hit = cache.get(raw);
  if (hit) return hit;
  const doc = deserialize(raw);
  bytesOf.set(doc, raw);
  return doc;
}

/** Cache `doc` as the decoded form of `raw` (after a write, which already has both). */
export function remember(raw: Buffer, doc: Doc): void {
  bytesOf.set(doc, raw);
  cache.set(raw, doc);
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as Buffer);
}

/**
 * Record that `doc` is the decoded form of `raw` without caching it: a new document is written
 * far more often than read back at once (a county run inserts 100k results), and caching each
 * one pushed the hot documents out and kept 4096 decoded results alive for the garbage
 * collector to move and mark.
 */
export function relate(raw: Buffer, doc: Doc): void {
  bytesOf.set(doc, raw);
}

/** Drop replaced or deleted bytes from the LRU. */
export function forget(raw: Buffer): void {
  cache.delete(raw);
}

/** The stored bytes `doc` was decoded from (or written as), if it is a stored document. */
export function storedBytes(doc: Doc): Buffer | undefined {
  return bytesOf.get(doc);
}
