/**
 * Sessions resolved in the last few seconds. Without it every API call costs two extra database
 * round trips (token, then user) before its own work: the single-household read went from one
 * round trip to three (issue 3's bench). Entries live a few seconds and are bounded in number;
 * every change made through this process (logout, password change, user update) drops the
 * user's entries at once, so revocation is immediate here. Another process sharing a real
 * MongoDB sees such a change within SESSION_CACHE_MS.
 */
import type { Actor } from './actor';

export const SESSION_CACHE_MS = 5_000;
const MAX_ENTRIES = 10_000;

export interface CachedSession { actor: Actor; tokenHash: string; expiresAt: Date }

const entries = new Map<string, { session: CachedSession; userId: string; until: number }>();

export function cachedSession(tokenHash: string, now: number): CachedSession | undefined {
  const entry = entries.get(tokenHash);
  if (!entry) return undefined;
  if (entry.until <= now || entry.session.expiresAt.getTime() <= now) {
    entries.delete(tokenHash);
    return undefined;
  }
  return entry.session;
}

export function rememberSession(session: CachedSession, userId: string, now: number): void {
  // Past the bound the cache starts over rather than tracking ages: it only saves round trips.
  if (entries.size >= MAX_ENTRIES) entries.clear();
  entries.set(session.tokenHash, { session, userId, until: now + SESSION_CACHE_MS });
}

export function forgetToken(tokenHash: string): void {
  entries.delete(tokenHash);
}

export function forgetUser(userId: string): void {
  for (const [hash, entry] of entries) if (entry.userId === userId) entries.delete(hash);
}

/** Tests that change users behind the service's back start from an empty cache. */
export function clearSessionCache(): void {
  entries.clear();
}
