/** Joi schemas of the eligibility routes (STYLE.md 6). */
import Joi from 'joi';
import { isRealDate } from '../registry/id-number';

export const asOfSchema = Joi.string().pattern(/^\d{4}-\d{2}-\d{2}$/).custom((value: string, helpers) => (isRealDate(value) ? value : helpers.error('date.real')))
  .messages({ 'string.pattern.base': '{{#label}} must be a date YYYY-MM-DD', 'date.real': '{{#label}} must be a real calendar date' });

const today = () => new Date().toISOString().slice(0, 10);

export const evaluateBodySchema = Joi.object({
  // The household is checked by the registry's own rules afterwards; an incomplete one is still
  // evaluated (its missing facts come out undetermined), so only "an object" is required here.
  household: Joi.object().unknown(true).required(),
  asOf: asOfSchema.required(),
});

export const asOfQuerySchema = Joi.object({ asOf: asOfSchema.default(today) });

export const householdCodeParamsSchema = Joi.object({ code: Joi.string().pattern(/^[0-9A-Za-z-]{1,40}$/).required() });

export const runBodySchema = Joi.object({
  regionCode: Joi.string().pattern(/^\d{12}$/).required().messages({ 'string.pattern.base': '{{#label}} must be a 12-digit division code' }),
  asOf: asOfSchema.required(),
});

export const runParamsSchema = Joi.object({ id: Joi.string().hex().length(24).required() });

export const resultsQuerySchema = Joi.object({
  category: Joi.string().pattern(/^[a-z][a-z0-9-]*$/).max(60),
  finding: Joi.string().pattern(/^[a-z][a-z0-9-]*$/).max(60),
  page: Joi.number().integer().min(1).max(100_000).default(1),
  limit: Joi.number().integer().min(1).max(200).default(50),
});
