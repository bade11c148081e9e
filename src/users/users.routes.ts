/**
 * Login, logout, password change, `GET /me` and user management (issue 4). Mounted at /api/v1.
 * Every route but `POST /auth/login` authenticates itself, so this router may be mounted before
 * any application-wide `authenticate` without locking the login out.
 */
import { Router, type Request, type Response } from 'express';
import { MemoryStore, rateLimit } from 'express-rate-limit';
import { AppError } from '../http/errors';
import { validate } from '../http/validate';
import { actorOf, authenticate, requirePermission } from './auth.middleware';
import { permissionsOf } from './permissions';
import { changePasswordSchema, createUserSchema, listUsersSchema, loginSchema, updateUserSchema } from './user.schema';
import { changePassword, createUser, getUser, listUsers, login, logout, updateUser } from './user.service';

/**
 * A coarse ceiling on login requests per address, on top of the per-name and per-address slowing
 * of failures in login-throttle.ts: it bounds the scrypt work one client can ask for.
 */
const loginStore = new MemoryStore();
const loginRateLimit = rateLimit({
  windowMs: 60_000,
  limit: 30,
  standardHeaders: 'draft-8',
  legacyHeaders: false,
  store: loginStore,
  handler: (_req, _res, next) => next(new AppError('TOO_MANY_REQUESTS')),
});

/** Tests start with a fresh allowance. */
export async function resetLoginRateLimit(): Promise<void> {
  await loginStore.resetAll();
}

function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** 429s say when to come back. */
function withRetryAfter(res: Response, err: unknown): never {
  if (err instanceof AppError && err.code === 'TOO_MANY_ATTEMPTS') {
    const seconds = (err.details as { retryAfterSeconds?: number } | null)?.retryAfterSeconds;
    if (seconds) res.set('Retry-After', String(seconds));
  }
  throw err;
}

export const usersRouter = Router();

usersRouter.post('/auth/login', loginRateLimit, validate(loginSchema), async (req, res) => {
  const result = await login(res.locals.body, clientIp(req)).catch((err: unknown) => withRetryAfter(res, err));
  res.set('Cache-Control', 'no-store');
  res.json(result);
});

usersRouter.post('/auth/logout', authenticate, validate({}), async (_req, res) => {
  await logout(actorOf(res), res.locals.tokenHash);
  res.status(204).end();
});

usersRouter.post('/auth/password', authenticate, validate(changePasswordSchema), async (req, res) => {
  await changePassword(actorOf(res), res.locals.tokenHash, res.locals.body, clientIp(req)).catch((err: unknown) => withRetryAfter(res, err));
  res.status(204).end();
});

usersRouter.get('/me', authenticate, validate({}), async (_req, res) => {
  const actor = actorOf(res);
  const user = await getUser(actor.username);
  res.json({ ...user, permissions: permissionsOf(user.role) });
});

usersRouter.post('/users', authenticate, requirePermission('users:manage'), validate(createUserSchema), async (_req, res) => {
  res.status(201).json(await createUser(actorOf(res), res.locals.body));
});

usersRouter.get('/users', authenticate, requirePermission('users:manage'), validate(listUsersSchema), async (_req, res) => {
  res.json(await listUsers(res.locals.query));
});

usersRouter.get('/users/:username', authenticate, requirePermission('users:manage'), validate({ params: updateUserSchema.params }), async (_req, res) => {
  res.json(await getUser(res.locals.params.username));
});

usersRouter.patch('/users/:username', authenticate, requirePermission('users:manage'), validate(updateUserSchema), async (_req, res) => {
  res.json(await updateUser(actorOf(res), res.locals.params.username, res.locals.body));
});
