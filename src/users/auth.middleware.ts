/**
 * Authentication and authorisation at the HTTP edge. `authenticate` turns `Authorization: Bearer
 * <token>` into `res.locals.actor`; the guards refuse with 403 what the role may not do. Region
 * scoping (404 outside the actor's subtrees) is the services' business: they get the Actor.
 */
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../http/errors';
import type { Actor, Role } from './actor';
import { can, type Permission } from './permissions';
import { resolveToken } from './user.service';

export async function authenticate(req: Request, res: Response, next: NextFunction): Promise<void> {
  // Already done by an app-wide authenticate: one token lookup per request is enough.
  if (res.locals.actor) return next();
  const header = req.get('authorization');
  const match = header ? /^Bearer ([^\s]+)$/i.exec(header.trim()) : null;
  if (!match) throw new AppError('UNAUTHENTICATED');
  const session = await resolveToken(match[1]);
  if (!session) throw new AppError('UNAUTHENTICATED', 'The token is unknown, expired or logged out');
  res.locals.actor = session.actor;
  res.locals.tokenHash = session.tokenHash;
  next();
}

/** The authenticated caller; a route that forgot `authenticate` fails closed. */
export function actorOf(res: Response): Actor {
  const actor = res.locals.actor as Actor | undefined;
  if (!actor) throw new AppError('UNAUTHENTICATED');
  return actor;
}

export function requireRole(...roles: Role[]) {
  return function roleGuard(_req: Request, res: Response, next: NextFunction): void {
    if (!roles.includes(actorOf(res).role)) throw new AppError('FORBIDDEN');
    next();
  };
}

/** The usual guard: a permission from the one table in permissions.ts. */
export function requirePermission(permission: Permission) {
  return function permissionGuard(_req: Request, res: Response, next: NextFunction): void {
    if (!can(actorOf(res), permission)) throw new AppError('FORBIDDEN');
    next();
  };
}
