/**
 * Database readiness (SECURITY.md "Faults": database unavailable → 503 within about 2 s, not a
 * hang; recovery without a restart).
 *
 * Mongoose's connection state follows the driver's server monitoring: it drops to
 * "disconnected" when the server stops answering and returns to "connected" by itself when it
 * comes back. API requests are refused at once while it is not connected, instead of queueing
 * behind Mongoose's command buffer; `/ready` additionally pings with a short timeout.
 */
import type { NextFunction, Request, Response } from 'express';
import mongoose from 'mongoose';
import { AppError } from './errors';

const CONNECTED = 1;
export const PING_TIMEOUT_MS = 1500;

export function databaseConnected(): boolean {
  return mongoose.connection.readyState === CONNECTED;
}

let lastProbe = 0;

/**
 * While disconnected, the driver only re-checks the server on its slow heartbeat (10 s). A ping
 * through the native client (it bypasses Mongoose's buffer) asks for an immediate check, so the
 * service notices a returning database within a second of the next request.
 */
function probeInBackground(): void {
  const now = Date.now();
  if (now - lastProbe < 1000) return;
  lastProbe = now;
  try {
    const client = mongoose.connection.getClient();
    client.db('admin').command({ ping: 1 }).catch(() => undefined);
  } catch {
    // No client yet (never connected): nothing to probe.
  }
}

/** Refuses a request with 503 DATABASE_UNAVAILABLE at once while the database is not reachable. */
export function requireDatabase(_req: Request, _res: Response, next: NextFunction): void {
  if (!databaseConnected()) {
    probeInBackground();
    throw new AppError('DATABASE_UNAVAILABLE');
  }
  next();
}

/** True when the database answers a ping within `timeoutMs`. */
export async function pingDatabase(timeoutMs = PING_TIMEOUT_MS): Promise<boolean> {
  if (!databaseConnected() || !mongoose.connection.db) {
    probeInBackground();
    return false;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    const ping = mongoose.connection.db.admin().ping({ maxTimeMS: timeoutMs }).then(() => true, () => false);
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `GET /ready`: 200 `{ status: 'ready' }` or 503 DATABASE_UNAVAILABLE. */
export async function readyHandler(_req: Request, res: Response): Promise<void> {
  if (!(await pingDatabase())) throw new AppError('DATABASE_UNAVAILABLE');
  res.json({ status: 'ready' });
}
