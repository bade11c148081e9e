/**
 * `GET /audit` (issue 4): admins see every entry, auditors the entries of their region. The
 * trail is append-only: no route here, or anywhere, updates or deletes an entry, so PUT, PATCH
 * and DELETE fall through to the 404 catch-all.
 */
import { Router } from 'express';
import { validate } from '../http/validate';
import { actorOf, authenticate, requirePermission } from '../users/auth.middleware';
import { listAuditSchema } from '../users/user.schema';
import { listAudit } from './audit.service';

export const auditRouter = Router();

auditRouter.get('/audit', authenticate, requirePermission('audit:read'), validate(listAuditSchema), async (_req, res) => {
  res.json(await listAudit(actorOf(res), res.locals.query));
});
