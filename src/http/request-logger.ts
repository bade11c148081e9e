/**
 * Structured request logging (pino). One line per request: method, path, status, ms and user.
 * Nothing logged may carry a full ID number (SECURITY.md "Identity numbers", PIPL art. 28): every
 * string that goes out is passed through `maskIdSequences`, which also covers the 20/22-digit
 * 残疾人证 numbers and numbers quoted inside driver error messages (E11000 dup key …).
 */
import type { NextFunction, Request, Response } from 'express';
import pino, { type Logger } from 'pino';

// 6 digits of region, a birth date 18xx–20xx with a month and day that could exist, 3 digits and
// a check character, optionally the 2 or 4 digits of a 残疾人证. Household codes (village code +
// serial) rarely carry such a date in that place, so they stay readable in the logs; anything
// that could be an ID number is masked, valid check digit or not.
const ID_SEQUENCE = /(?<!\d)(\d{6})((?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(\d{3}[\dXx])(\d{4}|\d{2})?(?!\d)/g;

/** 11010519491231002X → 110105********002X; the same shape as maskIdNumber. */
export function maskIdSequences(text: string): string {
  return text.replace(ID_SEQUENCE, (_m, head: string, _birth: string, tail: string, extra: string | undefined) => `${head}********${tail}${extra ?? ''}`);
}

function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskIdSequences(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { type: value.name, message: maskIdSequences(value.message), stack: value.stack ? maskIdSequences(value.stack) : undefined };
  }
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, depth + 1);
  return out;
}

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    formatters: { log: (obj) => maskDeep(obj) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        // Message strings (and format arguments) are masked like the merged object.
        const masked = args.map((a) => (typeof a === 'string' ? maskIdSequences(a) : a)) as Parameters<typeof method>;
        return method.apply(this, masked);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export const logger: Logger = createLogger();

/** Logs each request when its response has been sent (or the client went away). */
export function requestLogger(log: Logger = logger) {
  return function logRequest(req: Request, res: Response, next: NextFunction): void {
    const start = process.hrtime.bigint();
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const actor = res.locals.actor as { username?: string } | undefined;
      const entry = {
        method: req.method,
        path: req.originalUrl,
        status: res.headersSent ? res.statusCode : 499,
        ms: Math.round(ms * 10) / 10,
        user: actor?.username ?? null,
      };
      if (entry.status >= 500) log.error(entry, 'request');
      else log.info(entry, 'request');
    };
    res.on('finish', finish);
    res.on('close', finish);
    next();
  };
}
