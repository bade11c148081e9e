/** /api/v1/regions (DESIGN.md "HTTP API"): load and list administrative divisions. */
import { Router } from 'express';
import Joi from 'joi';
import { validate } from '../http/validate';
import { actorOf, requirePermission } from '../users/auth.middleware';
import { regionLevels } from './region-code';
import { listRegions, MAX_REGIONS_PER_CALL, upsertRegions } from './region.service';

const regionCode = () => Joi.string().pattern(/^\d{12}$/).messages({ 'string.pattern.base': '{{#label}} must be a 12-digit division code' });

const upsertBody = Joi.object({
  regions: Joi.array()
    .items(Joi.object({ code: regionCode().required(), name: Joi.string().trim().min(1).max(100).required() }))
    .min(1)
    .max(MAX_REGIONS_PER_CALL)
    .required(),
});

const listQuery = Joi.object({
  parent: regionCode(),
  level: Joi.string().valid(...regionLevels),
  q: Joi.string().trim().min(1).max(50),
  page: Joi.number().integer().min(1).max(100_000).default(1),
  limit: Joi.number().integer().min(1).max(1000).default(200),
});

export const regionsRouter = Router();

regionsRouter.post('/', requirePermission('regions:write'), validate({ body: upsertBody }), async (_req, res) => {
  res.json(await upsertRegions(actorOf(res), res.locals.body.regions));
});

regionsRouter.get('/', requirePermission('regions:read'), validate({ query: listQuery }), async (_req, res) => {
  res.json(await listRegions(res.locals.query));
});
