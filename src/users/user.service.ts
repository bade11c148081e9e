/**
 * Users, login tokens and passwords (issue 4). Plain objects in and out; no HTTP here.
 */
import { createHash, randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { config } from '../config';
import { AppError } from '../http/errors';
import { recordAudit, recordAuditAs } from '../audit/audit.service';
import { regionLevel } from '../regions/region-code';
import type { Actor, Role } from './actor';
import { decoyHash, hashPassword, verifyPassword } from './password';
import { lockedFor, recordFailure, recordSuccess } from './login-throttle';
import { TokenModel } from './token.model';
import { cachedSession, forgetToken, forgetUser, rememberSession } from './session-cache';
import { UserModel, type UserDoc } from './user.model';

/** Time as the services see it; tests move it instead of sleeping (token expiry, lock windows). */
export const clock = { now: (): Date => new Date() };

/** Token lifetime; tests may shorten it. */
export const tokenSettings = { ttlMinutes: config.tokenTtlMinutes };

export interface PublicUser {
  username: string;
  role: Role;
  regionCodes: string[];
  disabled: boolean;
  passwordChangedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewUser {
  username: string;
  password: string;
  role: Role;
  regionCodes: string[];
}

export interface UserChanges {
  role?: Role;
  regionCodes?: string[];
  disabled?: boolean;
  password?: string;
}

type StoredUser = UserDoc & { createdAt: Date; updatedAt: Date };

function toPublic(user: StoredUser): PublicUser {
  return {
    username: user.username,
    role: user.role as Role,
    regionCodes: [...user.regionCodes],
    disabled: user.disabled,
    passwordChangedAt: user.passwordChangedAt ?? null,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}

export function toActor(user: Pick<StoredUser, '_id' | 'username' | 'role' | 'regionCodes'>): Actor {
  return { userId: String(user._id), username: user.username, role: user.role as Role, regionCodes: [...user.regionCodes] };
}

/** Usernames are case-folded so `Zhang` and `zhang` are one account. */
export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

/** Joi checks each route's input; this repeats the rules the CLI and bootstrap also go through. */
function checkRegions(role: Role, regionCodes: string[]): void {
  const problems: Array<{ path: string; code: string; message: string }> = [];
  if (regionCodes.length === 0) problems.push({ path: 'regionCodes', code: 'array.min', message: 'regionCodes must hold at least one code' });
  regionCodes.forEach((code, i) => {
    if (!/^\d{12}$/.test(code)) {
      problems.push({ path: `regionCodes.${i}`, code: 'region.format', message: `regionCodes.${i} must be a 12-digit division code` });
    } else if (role === 'village' && regionLevel(code) !== 'village') {
      problems.push({ path: `regionCodes.${i}`, code: 'region.level', message: `regionCodes.${i} must be a village-level code for a village user` });
    }
  });
  if (problems.length > 0) throw new AppError('VALIDATION_FAILED', problems[0].message, problems);
}

async function findUser(username: string): Promise<StoredUser | null> {
  return (await UserModel.findOne({ username: normalizeUsername(username) }).lean()) as StoredUser | null;
}

export async function createUser(actor: Actor, input: NewUser): Promise<PublicUser> {
  const username = normalizeUsername(input.username);
  checkRegions(input.role, input.regionCodes);
  if (input.password.length < 10) throw new AppError('VALIDATION_FAILED', 'password must be at least 10 characters long', [{ path: 'password', code: 'string.min', message: 'password must be at least 10 characters long' }]);
  if (await findUser(username)) throw new AppError('USERNAME_TAKEN');
  const passwordHash = await hashPassword(input.password);
  let created: StoredUser;
  try {
    const doc = await UserModel.create({ username, passwordHash, role: input.role, regionCodes: input.regionCodes, disabled: false });
    created = doc.toObject() as StoredUser;
  } catch (err) {
    // Two admins creating the same name at once: the unique index decides.
    if ((err as { code?: unknown }).code === 11000) throw new AppError('USERNAME_TAKEN');
    throw err;
  }
  const user = toPublic(created);
  await recordAudit(actor, { action: 'user.create', entity: 'user', entityId: username, after: user });
  return user;
}

export async function getUser(username: string): Promise<PublicUser> {
  const user = await findUser(username);
  if (!user) throw new AppError('USER_NOT_FOUND');
  return toPublic(user);
}

export async function countUsers(): Promise<number> {
  return UserModel.countDocuments({});
}

export async function listUsers(query: { role?: Role; disabled?: boolean; page: number; limit: number }): Promise<{ items: PublicUser[]; total: number; page: number; limit: number }> {
  const filter: Record<string, unknown> = {};
  if (query.role !== undefined) filter.role = query.role;
  if (query.disabled !== undefined) filter.disabled = query.disabled;
  const [docs, total] = await Promise.all([
    UserModel.find(filter).sort({ username: 1 }).skip((query.page - 1) * query.limit).limit(query.limit).lean(),
    UserModel.countDocuments(filter),
  ]);
  return { items: (docs as StoredUser[]).map(toPublic), total, page: query.page, limit: query.limit };
}

/**
 * An admin changes a user's role, regions or password, or disables the account. Disabling or
 * resetting the password ends the user's sessions. The last enabled admin cannot be demoted or
 * disabled: nobody could manage users any more.
 */
export async function updateUser(actor: Actor, username: string, changes: UserChanges): Promise<PublicUser> {
  const user = await findUser(username);
  if (!user) throw new AppError('USER_NOT_FOUND');
  const role = changes.role ?? (user.role as Role);
  const regionCodes = changes.regionCodes ?? [...user.regionCodes];
  checkRegions(role, regionCodes);
  const disabled = changes.disabled ?? user.disabled;
  if (user.role === 'admin' && !user.disabled && (role !== 'admin' || disabled)) {
    const otherAdmins = await UserModel.countDocuments({ role: 'admin', disabled: false, username: mongoose.trusted({ $ne: user.username }) });
    if (otherAdmins === 0) throw new AppError('CONFLICT', 'The last enabled admin cannot be demoted or disabled');
  }
  const set: Record<string, unknown> = { role, regionCodes, disabled };
  if (changes.password !== undefined) {
    set.passwordHash = await hashPassword(changes.password);
    set.passwordChangedAt = clock.now();
  }
  await UserModel.updateOne({ _id: user._id }, { $set: set });
  // Role, regions and the disabled flag take effect on the caller's very next request.
  forgetUser(String(user._id));
  const updated = (await UserModel.findById(user._id).lean()) as StoredUser | null;
  if (!updated) throw new AppError('USER_NOT_FOUND');
  if (disabled || changes.password !== undefined) await TokenModel.deleteMany({ userId: String(user._id) });
  const before = toPublic(user);
  const after = toPublic(updated);
  await recordAudit(actor, {
    action: 'user.update', entity: 'user', entityId: user.username, before, after,
    details: changes.password !== undefined ? { passwordReset: true } : null,
  });
  return after;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface LoginResult {
  token: string;
  expiresAt: Date;
}

/**
 * Checks a username and password. Every way of failing looks the same to the caller (unknown
 * name, wrong password, disabled account) and takes as long, so names cannot be probed; the
 * audit trail keeps the real reason, never the password.
 */
export async function login(input: { username: string; password: string }, ip: string): Promise<LoginResult> {
  const username = normalizeUsername(input.username).slice(0, 128);
  const now = clock.now();
  const wait = lockedFor(username, ip, now.getTime());
  const user = await findUser(username);
  const subject = user ? toActor(user) : { userId: 'anonymous', username, role: 'anonymous' };
  if (wait > 0) {
    await recordAuditAs(subject, { action: 'auth.login.failed', entity: 'user', entityId: username, details: { ip, reason: 'throttled' } });
    throw new AppError('TOO_MANY_ATTEMPTS', undefined, { retryAfterSeconds: wait });
  }
  const passwordOk = await verifyPassword(input.password, user?.passwordHash ?? (await decoyHash()));
  if (!user || !passwordOk || user.disabled) {
    recordFailure(username, ip, now.getTime());
    const reason = !user ? 'unknown-user' : !passwordOk ? 'wrong-password' : 'disabled';
    await recordAuditAs(subject, { action: 'auth.login.failed', entity: 'user', entityId: username, details: { ip, reason } });
    throw new AppError('INVALID_CREDENTIALS');
  }
  recordSuccess(username);
  // Sweep this user's expired tokens here rather than on every request.
  await TokenModel.deleteMany({ userId: String(user._id), expiresAt: mongoose.trusted({ $lte: now }) });
  const result = await issueToken(String(user._id), now);
  await recordAudit(toActor(user), { action: 'auth.login', entity: 'user', entityId: user.username, details: { ip, expiresAt: result.expiresAt } });
  return result;
}

async function issueToken(userId: string, now: Date): Promise<LoginResult> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + tokenSettings.ttlMinutes * 60_000);
  await TokenModel.create({ hash: hashToken(token), userId, createdAt: now, expiresAt });
  return { token, expiresAt };
}

export interface Session {
  actor: Actor;
  tokenHash: string;
  expiresAt: Date;
}

/** The session behind a bearer token, or null when it is unknown, expired, logged out or its user disabled. */
export async function resolveToken(token: string): Promise<Session | null> {
  if (!/^[A-Za-z0-9_-]{20,128}$/.test(token)) return null;
  const tokenHash = hashToken(token);
  const now = clock.now().getTime();
  const cached = cachedSession(tokenHash, now);
  if (cached) return cached;
  const row = (await TokenModel.findOne({ hash: tokenHash }).lean()) as { userId: string; expiresAt: Date } | null;
  if (!row || row.expiresAt.getTime() <= now) return null;
  if (!mongoose.isValidObjectId(row.userId)) return null;
  const user = (await UserModel.findById(row.userId).lean()) as StoredUser | null;
  if (!user || user.disabled) return null;
  const session = { actor: toActor(user), tokenHash, expiresAt: row.expiresAt };
  rememberSession(session, row.userId, now);
  return session;
}

export async function logout(actor: Actor, tokenHash: string): Promise<void> {
  await TokenModel.deleteOne({ hash: tokenHash });
  forgetToken(tokenHash);
  await recordAudit(actor, { action: 'auth.logout', entity: 'user', entityId: actor.username });
}

/**
 * Changes one's own password. The current one is checked under the same slowing as a login (a
 * stolen token must not become a way to guess it); every other session of the user ends.
 */
export async function changePassword(actor: Actor, tokenHash: string, input: { currentPassword: string; newPassword: string }, ip: string): Promise<void> {
  const now = clock.now();
  const wait = lockedFor(actor.username, ip, now.getTime());
  if (wait > 0) throw new AppError('TOO_MANY_ATTEMPTS', undefined, { retryAfterSeconds: wait });
  const user = await findUser(actor.username);
  if (!user) throw new AppError('UNAUTHENTICATED');
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    recordFailure(actor.username, ip, now.getTime());
    await recordAudit(actor, { action: 'auth.password.failed', entity: 'user', entityId: actor.username, details: { ip } });
    throw new AppError('WRONG_PASSWORD');
  }
  const passwordHash = await hashPassword(input.newPassword);
  await UserModel.updateOne({ _id: user._id }, { $set: { passwordHash, passwordChangedAt: now } });
  await TokenModel.deleteMany({ userId: String(user._id), hash: mongoose.trusted({ $ne: tokenHash }) });
  forgetUser(String(user._id));
  await recordAudit(actor, { action: 'auth.password.change', entity: 'user', entityId: actor.username, details: { ip } });
}
