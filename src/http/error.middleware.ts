/**
 * The one final error middleware (STYLE.md 9): every failure leaves as
 * `{ error: { code, message, details } }`. No stack, no raw filter and no driver message ever
 * reaches the client: driver messages quote the offending key (a dup key names the ID number).
 */
import type { NextFunction, Request, Response } from 'express';
import Joi from 'joi';
import mongoose from 'mongoose';
import { AppError, errorBody, type ErrorCode } from './errors';
import { config } from '../config';
import { logger } from './request-logger';

interface FieldProblem {
  path: string;
  code: string;
  message: string;
}

/** Joi details → `[{ path, code, message }]`, the shape the importer and the API share. */
export function joiProblems(error: Joi.ValidationError): FieldProblem[] {
  return error.details.map((d) => ({ path: d.path.join('.'), code: d.type, message: d.message }));
}

const UNAVAILABLE_ERRORS = new Set([
  'MongoServerSelectionError', 'MongooseServerSelectionError', 'MongoNetworkError', 'MongoNetworkTimeoutError',
  'MongoNotConnectedError', 'MongoTopologyClosedError', 'MongoClientClosedError', 'PoolClosedError', 'MongoPoolClearedError', 'PoolClearedError',
]);

function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (UNAVAILABLE_ERRORS.has(err.name)) return true;
  // Mongoose's buffering timeout: "Operation `x.findOne()` buffering timed out after 2000ms".
  return err.name === 'MongooseError' && /buffering timed out|Client must be connected|Connection was force closed/i.test(err.message);
}

/** Turns any thrown value into the status and body to send. */
export function toErrorResponse(err: unknown): { status: number; body: ReturnType<typeof errorBody> } {
  const send = (status: number, code: ErrorCode, message?: string, details?: unknown) => ({ status, body: errorBody(code, message, details) });

  if (err instanceof AppError) return send(err.status, err.code, err.message, err.details);
  if (Joi.isError(err)) return send(400, 'VALIDATION_FAILED', undefined, joiProblems(err));

  if (err instanceof mongoose.Error.ValidationError) {
    const details = Object.entries(err.errors).map(([path, e]) => ({ path, code: e.kind ?? 'invalid', message: `${path} is not valid` }));
    return send(400, 'VALIDATION_FAILED', undefined, details);
  }
  if (err instanceof mongoose.Error.CastError) {
    return send(400, 'VALIDATION_FAILED', undefined, [{ path: err.path, code: 'cast', message: `${err.path} has the wrong type` }]);
  }
  if (err instanceof mongoose.Error.StrictModeError) {
    return send(400, 'VALIDATION_FAILED', undefined, [{ path: err.path, code: 'unknown', message: `${err.path} is not allowed` }]);
  }
  if (err instanceof Error && err.name === 'MongooseError' && /not allowed with sanitizeFilter/.test(err.message)) {
    return send(400, 'VALIDATION_FAILED', 'Query operators are not allowed');
  }
  if (typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000) {
    // The key pattern is safe to name; the key value (maybe an ID number) is not.
    const pattern = (err as { keyPattern?: Record<string, unknown> }).keyPattern;
    return send(409, 'DUPLICATE_KEY', undefined, pattern ? { fields: Object.keys(pattern) } : null);
  }
  if (isUnavailable(err)) return send(503, 'DATABASE_UNAVAILABLE');

  // body-parser (express.json) errors carry `type` and `status`.
  const bodyError = err as { type?: string; status?: number; expose?: boolean };
  if (bodyError && typeof bodyError === 'object' && typeof bodyError.type === 'string') {
    if (bodyError.type === 'entity.too.large') return send(413, 'PAYLOAD_TOO_LARGE');
    if (bodyError.type === 'entity.parse.failed') return send(400, 'INVALID_JSON');
    if (bodyError.type === 'encoding.unsupported' || bodyError.type === 'charset.unsupported') return send(415, 'UNSUPPORTED_MEDIA_TYPE');
    if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) return send(400, 'VALIDATION_FAILED');
  }
  return send(500, 'INTERNAL');
}

export function errorMiddleware(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  const { status, body } = toErrorResponse(err);
  if (status >= 500) logger.error({ err, method: req.method, path: req.originalUrl }, 'request failed');
  if (res.headersSent) {
    // A streamed response cannot change its status any more: cut it so the client sees a failure.
    res.destroy();
    return;
  }
  discardUnreadBody(req);
  res.status(status).json(body);
}

/** The catch-all for routes nobody serves. */
export function notFound(req: Request, res: Response): void {
  discardUnreadBody(req);
  res.status(404).json(errorBody('NOT_FOUND'));
}

/**
 * A request refused before its body was read (an upload answered 403 by the permission guard)
 * still has bytes on the way. Reading them to nowhere lets the client finish sending and read
 * the answer; otherwise the socket closes under it and the client sees EPIPE instead of the
 * error. Past the largest upload the service would accept, the connection is cut instead.
 */
function discardUnreadBody(req: Request): void {
  if (req.complete || req.readableEnded || req.destroyed) return;
  let received = 0;
  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > config.importMaxBytes) req.socket.destroy();
  });
  req.resume();
}
