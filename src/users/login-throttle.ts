/**
 * Slowing of repeated failed logins (SECURITY.md "Access"), counted per username and per client
 * address. After FREE failures a key is locked for a window that doubles with every further
 * failure, up to MAX_LOCK_MS; attempts inside the window are refused without checking the
 * password, so guessing gains nothing from them. A success clears the username's count but not
 * the address's, since one address may be trying many names.
 *
 * Counters live in this process: one process serves a county (DESIGN.md "Scale"). A restart
 * forgets them, which costs an attacker a restart they cannot cause.
 */

interface Counter {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
}

/** Five wrong passwords for one name; more for an address, which a township office shares (NAT). */
export const FREE_FAILURES = { user: 5, ip: 20 } as const;
const BASE_LOCK_MS = 30_000;
const MAX_LOCK_MS = 15 * 60_000;
/** A counter with no failure for this long starts again from zero. */
const FORGET_MS = 60 * 60_000;
const MAX_KEYS = 50_000;

const counters = new Map<string, Counter>();

function keys(username: string, ip: string): Array<{ key: string; free: number }> {
  return [
    { key: `user:${username}`, free: FREE_FAILURES.user },
    { key: `ip:${ip}`, free: FREE_FAILURES.ip },
  ];
}

function current(key: string, now: number): Counter | undefined {
  const counter = counters.get(key);
  if (counter && now - counter.lastFailureAt > FORGET_MS) {
    counters.delete(key);
    return undefined;
  }
  return counter;
}

/** Seconds the caller must wait before trying again, or 0 when an attempt may go ahead. */
export function lockedFor(username: string, ip: string, now: number): number {
  let until = 0;
  for (const { key } of keys(username, ip)) until = Math.max(until, current(key, now)?.lockedUntil ?? 0);
  return until > now ? Math.ceil((until - now) / 1000) : 0;
}

export function recordFailure(username: string, ip: string, now: number): void {
  if (counters.size > MAX_KEYS) prune(now);
  for (const { key, free } of keys(username, ip)) {
    const counter = current(key, now) ?? { failures: 0, lastFailureAt: now, lockedUntil: 0 };
    counter.failures += 1;
    counter.lastFailureAt = now;
    if (counter.failures >= free) {
      counter.lockedUntil = now + Math.min(BASE_LOCK_MS * 2 ** (counter.failures - free), MAX_LOCK_MS);
    }
    counters.set(key, counter);
  }
}

export function recordSuccess(username: string): void {
  counters.delete(`user:${username}`);
}

function prune(now: number): void {
  for (const [key, counter] of counters) {
    if (now - counter.lastFailureAt > FORGET_MS && counter.lockedUntil <= now) counters.delete(key);
  }
}

/** Tests start from a clean slate. */
export function resetLoginThrottle(): void {
  counters.clear();
}
