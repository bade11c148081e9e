/**
 * Joi schemas of the files under `rules/` (DESIGN.md "Rules"; STYLE.md 14–15). They check the
 * shape; the loader then checks what a schema cannot: facts and operators that exist, parameters
 * that exist and cover the rule's window, and windows that do not overlap.
 */
import Joi from 'joi';

const isoDate = Joi.string().pattern(/^\d{4}-\d{2}-\d{2}$/).message('{{#label}} must be a date YYYY-MM-DD');
const ident = Joi.string().pattern(/^[a-z][a-z0-9-]*$/).message('{{#label}} must be lower-case letters, digits and dashes');

/** A parameter reference on the right-hand side: json-rules-engine's own `{ fact, path }`. */
const factReference = Joi.object({
  fact: Joi.string().required(),
  path: Joi.string().pattern(/^(\$\.)?[A-Za-z][A-Za-z0-9]*$/),
}).unknown(false);

const leaf = Joi.object({
  fact: Joi.string().required(),
  operator: Joi.string().required(),
  value: Joi.alternatives().try(
    factReference,
    Joi.number(), Joi.string(), Joi.boolean(), Joi.valid(null),
    Joi.array().items(Joi.number(), Joi.string(), Joi.boolean()),
  ).required(),
  path: Joi.forbidden().messages({ 'any.unknown': 'facts are flat: a condition takes no path' }),
}).unknown(false);

export const conditionSchema: Joi.Schema = Joi.alternatives().try(
  Joi.object({ all: Joi.array().items(Joi.link('#condition')).min(1).required() }).unknown(false),
  Joi.object({ any: Joi.array().items(Joi.link('#condition')).min(1).required() }).unknown(false),
  Joi.object({ not: Joi.link('#condition').required() }).unknown(false),
  leaf,
).id('condition');

const topCondition = Joi.alternatives().try(
  Joi.object({ all: Joi.array().items(conditionSchema).min(1).required() }).unknown(false),
  Joi.object({ any: Joi.array().items(conditionSchema).min(1).required() }).unknown(false),
  Joi.object({ not: conditionSchema.required() }).unknown(false),
);

const subBenefit = Joi.object({
  id: ident.required(),
  name: Joi.string().required(),
  title: Joi.string().required(),
  persons: Joi.string().required(),
  conditions: topCondition,
});

const monitoringType = Joi.object({
  id: Joi.string().valid('unstable', 'marginal', 'sudden').required(),
  name: Joi.string().required(),
  title: Joi.string().required(),
  conditions: topCondition,
});

export const ruleKinds = ['category', 'check', 'monitoring', 'data-check'] as const;

const rule = Joi.object({
  id: ident.required(),
  name: Joi.string().required(),
  title: Joi.string().required().description('plain Chinese: what the rule decides'),
  legalReference: Joi.string().required(),
  effectiveFrom: isoDate.required(),
  effectiveTo: isoDate.allow(null).required().description('last day in force; null = open'),
  persons: Joi.when('event.type', { is: 'category', then: Joi.string().required(), otherwise: Joi.forbidden() }),
  subBenefits: Joi.when('event.type', { is: 'category', then: Joi.array().items(subBenefit), otherwise: Joi.forbidden() }),
  types: Joi.when('event.type', { is: 'monitoring', then: Joi.array().items(monitoringType).min(1).required(), otherwise: Joi.forbidden() }),
  reason: Joi.when('event.type', { is: 'data-check', then: Joi.string().required(), otherwise: Joi.forbidden() }),
  conditions: topCondition.required(),
  event: Joi.object({
    type: Joi.string().valid(...ruleKinds).required(),
    params: Joi.object({ id: Joi.string().required() }).unknown(true).required(),
  }).required(),
});

export const ruleSetSchema = Joi.object({
  id: ident.required(),
  version: Joi.string().required(),
  title: Joi.string().required(),
  reference: Joi.string(),
  /** Region code prefixes (2, 4, 6, 9 or 12 digits) the rule set adds to; absent: the base set. */
  appliesTo: Joi.array().items(Joi.string().pattern(/^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$/)).min(1),
  rules: Joi.array().items(rule).min(1).required(),
});

const parameterValue = Joi.alternatives().try(
  Joi.number(),
  Joi.object().pattern(/^[A-Za-z][A-Za-z0-9]*$/, Joi.number()).min(1),
  Joi.valid(null),
);

const datedValues = Joi.object().pattern(isoDate, parameterValue).min(1);

export const parameterSchema = Joi.object({
  name: Joi.string().pattern(/^[A-Za-z][A-Za-z0-9.]*$/).required(),
  description: Joi.string(),
  unit: Joi.string(),
  reference: Joi.string(),
  /** Keyed by the date each value starts; null stops the parameter. Absent in an overlay file. */
  values: datedValues,
  regions: Joi.object().pattern(/^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$/, Joi.object({
    values: datedValues.required(),
    reference: Joi.string(),
  })),
}).or('values', 'regions');

// ---------------------------------------------------------------- types of the validated files

export type RuleKind = (typeof ruleKinds)[number];
export type Scalar = number | string | boolean | null;

export interface ConditionLeafFile {
  fact: string;
  operator: string;
  value: Scalar | Scalar[] | { fact: string; path?: string };
}
export type ConditionFile = ConditionLeafFile | { all: ConditionFile[] } | { any: ConditionFile[] } | { not: ConditionFile };

export interface SubBenefitFile { id: string; name: string; title: string; persons: string; conditions?: ConditionFile }
export interface MonitoringTypeFile { id: 'unstable' | 'marginal' | 'sudden'; name: string; title: string; conditions?: ConditionFile }

export interface RuleFile {
  id: string;
  name: string;
  title: string;
  legalReference: string;
  effectiveFrom: string;
  effectiveTo: string | null;
  persons?: string;
  subBenefits?: SubBenefitFile[];
  types?: MonitoringTypeFile[];
  reason?: string;
  conditions: ConditionFile;
  event: { type: RuleKind; params: { id: string } & Record<string, unknown> };
}

export interface RuleSetFile {
  id: string;
  version: string;
  title: string;
  reference?: string;
  appliesTo?: string[];
  rules: RuleFile[];
}

export type ParameterValue = number | Record<string, number> | null;

export interface ParameterFile {
  name: string;
  description?: string;
  unit?: string;
  reference?: string;
  values?: Record<string, ParameterValue>;
  regions?: Record<string, { values: Record<string, ParameterValue>; reference?: string }>;
}
