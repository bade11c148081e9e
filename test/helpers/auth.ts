/**
 * Users and tokens for tests, made through the same services as the API (a random password,
 * a real login), so a test's token behaves like a client's.
 */
import { randomBytes } from 'node:crypto';
import type { Actor, Role } from '../../src/users/actor';
import { systemActor } from '../../src/users/actor';
import { clock, createUser, login, resolveToken } from '../../src/users/user.service';
import { resetLoginThrottle } from '../../src/users/login-throttle';
import { resetLoginRateLimit } from '../../src/users/users.routes';

export interface TestUser {
  username: string;
  password: string;
  token: string;
  actor: Actor;
}

let sequence = 0;

export async function userFor(role: Role, regionCodes: string[], username?: string): Promise<TestUser> {
  const name = username ?? `${role}-${Date.now().toString(36)}-${(sequence++).toString(36)}`;
  const password = randomBytes(12).toString('base64url');
  await createUser(systemActor, { username: name, password, role, regionCodes });
  const { token } = await login({ username: name, password }, '127.0.0.1');
  const session = await resolveToken(token);
  if (!session) throw new Error('a fresh token did not resolve');
  return { username: session.actor.username, password, token, actor: session.actor };
}

/** A bearer token for a new user with this role and these regions. */
export async function tokenFor(role: Role, regionCodes: string[], username?: string): Promise<string> {
  return (await userFor(role, regionCodes, username)).token;
}

/**
 * Moves the users service's clock instead of sleeping (token expiry, lock windows). Call
 * `restore()` in afterEach.
 */
export function fakeClock(start: Date = new Date()): { advance(ms: number): void; restore(): void; now(): Date } {
  const original = clock.now;
  let current = start.getTime();
  clock.now = () => new Date(current);
  return {
    advance(ms: number) {
      current += ms;
    },
    restore() {
      clock.now = original;
    },
    now: () => new Date(current),
  };
}

/** Fresh login counters and rate-limit allowance, for tests that log in over HTTP. */
export async function resetLoginLimits(): Promise<void> {
  resetLoginThrottle();
  await resetLoginRateLimit();
}
