/**
 * Eligibility over HTTP (DESIGN.md "HTTP API"). Thin: validate, call one service, send.
 * Evaluating needs `eligibility:evaluate`; runs need `eligibility:run`; the findings workbook
 * `findings:export` (src/users/permissions.ts). Region scoping is the services' business.
 */
import { Router, type Response } from 'express';
import { validate } from '../http/validate';
import type { Actor } from '../users/actor';
import { requirePermission } from '../users/auth.middleware';
import {
  asOfQuerySchema, evaluateBodySchema, householdCodeParamsSchema, resultsQuerySchema, runBodySchema, runParamsSchema,
} from './eligibility.schema';
import { evaluateInput, householdEligibility, rulesView } from './eligibility.service';
import { getRun, listResults, startRun, writeFindingsWorkbook } from './run.service';

const actorOf = (res: Response): Actor => res.locals.actor as Actor;

export const eligibilityRouter = Router();

eligibilityRouter.post('/eligibility/evaluate', requirePermission('eligibility:evaluate'), validate({ body: evaluateBodySchema }), async (_req, res) => {
  res.json(await evaluateInput(res.locals.body.household, res.locals.body.asOf));
});

eligibilityRouter.get('/households/:code/eligibility', requirePermission('eligibility:evaluate'), validate({ params: householdCodeParamsSchema, query: asOfQuerySchema }), async (_req, res) => {
  res.json(await householdEligibility(actorOf(res), res.locals.params.code, res.locals.query.asOf));
});

eligibilityRouter.post('/eligibility/runs', requirePermission('eligibility:run'), validate({ body: runBodySchema }), async (_req, res) => {
  res.status(202).json(await startRun(actorOf(res), res.locals.body));
});

eligibilityRouter.get('/eligibility/runs/:id', requirePermission('eligibility:run'), validate({ params: runParamsSchema }), async (_req, res) => {
  res.json(await getRun(actorOf(res), res.locals.params.id));
});

eligibilityRouter.get('/eligibility/runs/:id/results', requirePermission('eligibility:run'), validate({ params: runParamsSchema, query: resultsQuerySchema }), async (_req, res) => {
  res.json(await listResults(actorOf(res), res.locals.params.id, res.locals.query));
});

eligibilityRouter.get('/eligibility/runs/:id/findings.xlsx', requirePermission('findings:export'), validate({ params: runParamsSchema }), async (_req, res) => {
  // Checked before the first byte: an unknown or unfinished run still gets a JSON error.
  const run = await getRun(actorOf(res), res.locals.params.id);
  if (run.status === 'done') {
    res.attachment(`findings-${run.regionCode}-${run.asOf}.xlsx`);
    res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  }
  await writeFindingsWorkbook(actorOf(res), res.locals.params.id, res);
});

eligibilityRouter.get('/rules', validate({ query: asOfQuerySchema }), (_req, res) => {
  res.json(rulesView(res.locals.query.asOf));
});
