/**
 * /api/v1/households (DESIGN.md "HTTP API"). Thin: validate, call one service function, send.
 * `res.locals.actor` is set by the authentication middleware mounted in app.ts.
 */
import { Router, type Response } from 'express';
import { validate } from '../http/validate';
import type { Actor } from '../users/actor';
import {
  deleteQuerySchema, householdCreateSchema, householdListQuerySchema, householdParamsSchema, householdPatchSchema,
  memberCreateSchema, memberParamsSchema, memberPatchSchema, revealSchema,
} from './household.schema';
import {
  addMember, createHousehold, deleteHousehold, householdChanges, listHouseholds, presentHousehold, readHousehold,
  removeMember, revealMember, updateHousehold, updateMember,
} from './household.service';
import Joi from 'joi';

const actorOf = (res: Response): Actor => res.locals.actor as Actor;
const versionOnly = Joi.object({ version: Joi.number().integer().min(1) });

export const householdsRouter = Router();

householdsRouter.get('/', validate({ query: householdListQuerySchema }), async (_req, res) => {
  res.json(await listHouseholds(actorOf(res), res.locals.query));
});

householdsRouter.post('/', validate({ body: householdCreateSchema }), async (_req, res) => {
  const actor = actorOf(res);
  res.status(201).json(presentHousehold(actor, await createHousehold(actor, res.locals.body), 'single'));
});

householdsRouter.get('/:code', validate({ params: householdParamsSchema }), async (_req, res) => {
  res.json(await readHousehold(actorOf(res), res.locals.params.code));
});

householdsRouter.patch('/:code', validate({ params: householdParamsSchema, body: householdPatchSchema }), async (_req, res) => {
  const actor = actorOf(res);
  res.json(presentHousehold(actor, await updateHousehold(actor, res.locals.params.code, res.locals.body), 'single'));
});

householdsRouter.delete('/:code', validate({ params: householdParamsSchema, query: deleteQuerySchema }), async (_req, res) => {
  await deleteHousehold(actorOf(res), res.locals.params.code, res.locals.query.version);
  res.status(204).end();
});

householdsRouter.get('/:code/changes', validate({ params: householdParamsSchema }), async (_req, res) => {
  res.json(await householdChanges(actorOf(res), res.locals.params.code));
});

householdsRouter.post('/:code/members', validate({ params: householdParamsSchema, body: memberCreateSchema.concat(versionOnly) }), async (_req, res) => {
  const actor = actorOf(res);
  const { version, ...member } = res.locals.body;
  const { household, member: added } = await addMember(actor, res.locals.params.code, member, version);
  res.status(201).json({ member: presentHousehold(actor, { ...household, members: [added] }, 'single').members[0], household: presentHousehold(actor, household, 'single') });
});

householdsRouter.patch('/:code/members/:memberId', validate({ params: memberParamsSchema, body: memberPatchSchema }), async (_req, res) => {
  const actor = actorOf(res);
  const { household, member } = await updateMember(actor, res.locals.params.code, res.locals.params.memberId, res.locals.body);
  res.json({ member: presentHousehold(actor, { ...household, members: [member] }, 'single').members[0], household: presentHousehold(actor, household, 'single') });
});

householdsRouter.delete('/:code/members/:memberId', validate({ params: memberParamsSchema, query: deleteQuerySchema }), async (_req, res) => {
  const actor = actorOf(res);
  const household = await removeMember(actor, res.locals.params.code, res.locals.params.memberId, res.locals.query.version);
  res.json(presentHousehold(actor, household, 'single'));
});

householdsRouter.post('/:code/members/:memberId/reveal', validate({ params: memberParamsSchema, body: revealSchema }), async (_req, res) => {
  res.json(await revealMember(actorOf(res), res.locals.params.code, res.locals.params.memberId, res.locals.body.reason));
});
