/**
 * Builds the Express app; never listens (STYLE.md 3). Tests drive it with supertest.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { config } from './config';
import { errorMiddleware, notFound } from './http/error.middleware';
import { readyHandler, requireDatabase } from './http/readiness';
import { requestLogger } from './http/request-logger';
import { householdsRouter } from './registry/household.routes';
import { regionsRouter } from './regions/region.routes';
import { authenticate } from './users/auth.middleware';
import { usersRouter } from './users/users.routes';
import { auditRouter } from './audit/audit.routes';
// ---- feature routers added by other issues (keep one import per line)
import { eligibilityRouter } from './eligibility/eligibility.routes';
import { ledgerRouter } from './ledger/ledger.routes';

export interface AppOptions {
  /** Largest JSON body; defaults to BODY_LIMIT. */
  bodyLimit?: string;
}

/** Only the login itself is reachable without a token. */
function authenticateExceptLogin(req: Request, res: Response, next: NextFunction) {
  if (req.method === 'POST' && req.path === '/auth/login') return next();
  return authenticate(req, res, next);
}

export function createApp(options: AppOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // "simple" (node:querystring) never builds nested objects from `?a[b]=1`, so no operator can
  // arrive through a query string; a repeated key arrives as an array, which validate() refuses.
  app.set('query parser', 'simple');
  // The client address (login slowing, rate limits, the audit trail) is the socket's unless
  // TRUST_PROXY says how many reverse proxies stand in front.
  app.set('trust proxy', config.trustProxy > 0 ? config.trustProxy : false);

  app.use(helmet());
  app.use(requestLogger());
  app.use(express.json({ limit: options.bodyLimit ?? config.bodyLimit, strict: true }));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', readyHandler);

  const api = express.Router();
  api.use(requireDatabase);
  api.use(authenticateExceptLogin);
  api.use(usersRouter);
  api.use(auditRouter);
  api.use('/households', householdsRouter);
  api.use('/regions', regionsRouter);
  // ---- feature routers added by other issues (e.g. api.use('/eligibility', eligibilityRouter))
  api.use(eligibilityRouter);
  api.use(ledgerRouter);
  app.use('/api/v1', api);

  app.use(notFound);
  app.use(errorMiddleware);
  return app;
}
