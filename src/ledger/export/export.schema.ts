/**
 * Query schemas of the export routes (STYLE.md 6): one per route, validated copies in
 * `res.locals.query`. Layout ids are checked against the files in imports/layouts when the
 * schema is used, so a layout added there is exportable without a code change.
 */
import Joi from 'joi';
import { householdStatus, supportCategory } from '../../registry/vocabulary';
import { listLayouts } from '../layout';

const regionCode = Joi.string().pattern(/^\d{12}$/).messages({ 'string.pattern.base': 'regionCode must be a 12-digit division code' });
const asOf = Joi.string().pattern(/^\d{4}-\d{2}-\d{2}$/).custom((value: string, helpers) => {
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value ? value : helpers.error('any.invalid');
}).messages({ 'string.pattern.base': 'asOf must be a date YYYY-MM-DD', 'any.invalid': 'asOf must be a real date' });

export const ledgerExportSchema = {
  query: Joi.object({
    regionCode,
    layout: Joi.string().custom((value: string, helpers) => (listLayouts().includes(value) ? value : helpers.error('any.only', { valids: listLayouts() })))
      .messages({ 'any.only': 'layout must be one of the layouts in imports/layouts' }),
    status: Joi.string().valid(...householdStatus.codes),
    category: Joi.string().valid(...supportCategory.codes),
    asOf,
  }),
};

export const categoryExportSchema = {
  params: Joi.object({ category: Joi.string().valid(...supportCategory.codes).required() }),
  query: Joi.object({ regionCode, asOf }),
};
