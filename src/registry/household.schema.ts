/**
 * Joi schemas of the household contract (DESIGN.md "The household as JSON"), shared by the API
 * routes and by `validateHousehold` (the Excel importer checks each row with the same rules:
 * STYLE.md 20). Closed lists come from vocabulary.ts; ID numbers from id-number.ts.
 *
 * Bounds (SECURITY.md "arrays and nesting beyond sane bounds"): ≤ 30 members, ≤ 200 helpers,
 * supports and visits, names ≤ 50 characters, notes ≤ 2,000, money finite and ≥ 0.
 */
import Joi from 'joi';
import { isRealDate, parseIdNumber } from './id-number';
import {
  disabilityCategory, education, employment, gender, health, householdStatus, identificationStandard, labor,
  monitoringRisk, monitoringType, officialLevel, povertyCause, relation, schooling, supportCategory, tekunCare,
} from './vocabulary';

export const MAX_MEMBERS = 30;
export const MAX_LIST_ITEMS = 200;
export const MAX_PAGE_SIZE = 200;

const codes = (list: readonly string[]) => Joi.string().valid(...list);
const nullableCode = (list: readonly string[]) => codes(list).allow(null).default(null);
const shortText = (max = 50) => Joi.string().trim().max(max);
const nullableText = (max = 50) => shortText(max).allow(null, '').default(null);
const nullableBool = () => Joi.boolean().allow(null).default(null);
const money = () => Joi.number().min(0).max(1e9).allow(null).default(null);

/** `YYYY-MM-DD` naming a real calendar day. */
export const isoDate = () =>
  Joi.string()
    .pattern(/^\d{4}-\d{2}-\d{2}$/)
    .custom((value: string, helpers) => (isRealDate(value) ? value : helpers.error('date.real')))
    .messages({ 'string.pattern.base': '{{#label}} must be a date YYYY-MM-DD', 'date.real': '{{#label}} is not a real calendar day' });
const nullableDate = () => isoDate().allow(null).default(null);

export const householdCode = () => Joi.string().pattern(/^[0-9A-Za-z-]{1,40}$/).messages({ 'string.pattern.base': '{{#label}} must be 1–40 letters, digits or dashes' });
export const regionCode = () => Joi.string().pattern(/^\d{12}$/).messages({ 'string.pattern.base': '{{#label}} must be a 12-digit division code' });
const phone = () => Joi.string().trim().pattern(/^[0-9+\- ]{5,20}$/).allow(null, '').default(null).messages({ 'string.pattern.base': '{{#label}} must be a phone number' });

/**
 * 证件号码: text only (a JSON number has already lost digits), GB 11643 check digit, real birth
 * date in the past, `x` stored as `X`.
 */
export const idNumber = () =>
  Joi.any()
    .custom((value: unknown, helpers) => {
      const parsed = parseIdNumber(value);
      if (parsed.valid) return parsed.idNumber;
      return helpers.error(`idNumber.${parsed.problem}`, { reason: parsed.message });
    })
    .messages({
      'idNumber.format': '{{#label}}: {{#reason}}',
      'idNumber.region': '{{#label}}: {{#reason}}',
      'idNumber.birth-date': '{{#label}}: {{#reason}}',
      'idNumber.check-digit': '{{#label}}: {{#reason}}',
    });

const disability = Joi.object({
  category: nullableCode(disabilityCategory.codes),
  grade: Joi.number().integer().min(1).max(4).allow(null).default(null),
}).allow(null).default(null);

const insurance = Joi.object({ medical: nullableBool(), seriousIllness: nullableBool(), pension: nullableBool() })
  .default(() => ({ medical: null, seriousIllness: null, pension: null }));

const memberFields = {
  name: shortText().min(1),
  gender: nullableCode(gender.codes),
  idNumber: idNumber(),
  birthDate: nullableDate(),
  relation: codes(relation.codes),
  ethnicity: nullableText(20),
  education: nullableCode(education.codes),
  schooling: nullableCode(schooling.codes),
  health: nullableCode(health.codes),
  disability,
  labor: nullableCode(labor.codes),
  employment: nullableCode(employment.codes),
  monthsWorked: Joi.number().integer().min(0).max(12).allow(null).default(null),
  homeSchooling: Joi.boolean().default(false),
  insurance,
  phone: phone(),
};

/** birthDate follows from the ID number: filled in when absent, refused when it disagrees. */
function birthDateFromId(member: { idNumber?: string; birthDate?: string | null }, helpers: Joi.CustomHelpers) {
  if (typeof member.idNumber !== 'string') return member;
  const parsed = parseIdNumber(member.idNumber);
  if (!parsed.valid) return member;
  if (member.birthDate == null) return { ...member, birthDate: parsed.birthDate };
  if (member.birthDate !== parsed.birthDate) return helpers.error('member.birthDate', { expected: parsed.birthDate });
  return member;
}
const memberMessages = { 'member.birthDate': '{{#label}}.birthDate does not match the birth date in the ID number ({{#expected}})' };

/** A member as sent to POST /households/:code/members and inside a household. */
export const memberCreateSchema = Joi.object({
  ...memberFields,
  name: memberFields.name.required(),
  idNumber: memberFields.idNumber.required(),
  relation: memberFields.relation.required(),
})
  .custom(birthDateFromId)
  .messages(memberMessages);

/** PATCH /households/:code/members/:memberId: any member field, plus the household version read. */
export const memberPatchSchema = Joi.object({
  ...Object.fromEntries(Object.entries(memberFields).map(([k, s]) => [k, (s as Joi.Schema).optional().prefs({ noDefaults: true })])),
  name: memberFields.name,
  idNumber: memberFields.idNumber,
  relation: memberFields.relation,
  version: Joi.number().integer().min(1),
})
  .prefs({ noDefaults: true })
  .min(1)
  .custom(birthDateFromId)
  .messages(memberMessages);

const helper = Joi.object({
  name: shortText().min(1).required(),
  unit: nullableText(100),
  level: nullableCode(officialLevel.codes),
  since: nullableDate(),
  until: nullableDate(),
  phone: phone(),
});

const support = Joi.object({
  category: codes(supportCategory.codes).required(),
  since: nullableDate(),
  until: nullableDate(),
  amount: money(),
});

const visit = Joi.object({
  date: isoDate().required(),
  visitor: shortText().min(1).required(),
  level: nullableCode(officialLevel.codes),
  notes: Joi.string().max(2000).allow('').default(''),
});

const monitoring = Joi.object({
  type: nullableCode(monitoringType.codes),
  risks: Joi.array().items(codes(monitoringRisk.codes)).max(monitoringRisk.codes.length).unique().default([]),
  identifiedAt: nullableDate(),
  riskEliminated: Joi.boolean().default(false),
  eliminatedAt: nullableDate(),
}).allow(null).default(null);

const causes = Joi.object({
  main: nullableCode(povertyCause.codes),
  others: Joi.array().items(codes(povertyCause.codes)).max(2).unique().default([]),
}).default(() => ({ main: null, others: [] }));

const income = Joi.object({ wage: money(), business: money(), transfer: money(), property: money(), productionCost: money() })
  .default(() => ({ wage: null, business: null, transfer: null, property: null, productionCost: null }));

/** Every household field but `code`, `regionCode` and `members`: what a PATCH may touch. */
const householdFields = {
  group: nullableText(50),
  status: codes(householdStatus.codes),
  exitYear: Joi.number().integer().min(2013).max(2100).allow(null).default(null),
  identifiedAt: nullableDate(),
  standard: nullableCode(identificationStandard.codes),
  dibao: Joi.boolean().default(false),
  tekun: Joi.boolean().default(false),
  tekunCare: nullableCode(tekunCare.codes),
  causes,
  income,
  perCapitaNetIncome: Joi.number().min(-1e9).max(1e9).allow(null).default(null),
  housingSafe: nullableBool(),
  waterSafe: nullableBool(),
  wantsIndustry: nullableBool(),
  badCredit: nullableBool(),
  microloanBalance: money(),
  medicalOutOfPocket: money(),
  suddenHardship: nullableBool(),
  monitoring,
  helpers: Joi.array().items(helper).max(MAX_LIST_ITEMS).default([]),
  supports: Joi.array().items(support).max(MAX_LIST_ITEMS).default([]),
  visits: Joi.array().items(visit).max(MAX_LIST_ITEMS).default([]),
  phone: phone(),
};

/** Exactly one 户主, and no person twice (the unique index only separates households). */
function membersConsistent(members: { relation?: string; idNumber?: string }[], helpers: Joi.CustomHelpers) {
  const heads = members.filter((m) => m.relation === 'head').length;
  if (heads !== 1) return helpers.error('members.head', { heads });
  const seen = new Set<string>();
  for (const m of members) {
    if (typeof m.idNumber !== 'string') continue;
    const personId = m.idNumber.slice(0, 18);
    if (seen.has(personId)) return helpers.error('members.duplicate');
    seen.add(personId);
  }
  return members;
}

export const membersSchema = Joi.array()
  .items(memberCreateSchema)
  .min(1)
  .max(MAX_MEMBERS)
  .custom(membersConsistent)
  .messages({
    'members.head': '{{#label}} must have exactly one head (户主); found {{#heads}}',
    'members.duplicate': '{{#label}} lists the same person twice',
  });

/** POST /households, and each household of an import. */
export const householdCreateSchema = Joi.object({
  code: householdCode().required(),
  regionCode: regionCode().required(),
  ...householdFields,
  status: householdFields.status.required(),
  members: membersSchema.required(),
});

/** PATCH /households/:code: any household field (arrays replaced whole) and the version read. */
export const householdPatchSchema = Joi.object({
  ...Object.fromEntries(Object.entries(householdFields).map(([k, s]) => [k, (s as Joi.Schema).optional()])),
  regionCode: regionCode(),
  version: Joi.number().integer().min(1).required(),
})
  .prefs({ noDefaults: true })
  .min(2);

/**
 * A PATCH is validated without defaults (an absent field stays absent); the fields it does carry
 * get their nested defaults here, so `monitoring: { type: 'sudden' }` is stored whole.
 */
export function withFieldDefaults(patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...patch };
  for (const [key, schema] of Object.entries(householdFields) as [string, Joi.Schema][]) {
    if (!Object.hasOwn(patch, key)) continue;
    const { value, error } = schema.validate(patch[key]);
    if (!error) out[key] = value;
  }
  return out;
}

export const householdParamsSchema = Joi.object({ code: householdCode().required() });
export const memberParamsSchema = Joi.object({ code: householdCode().required(), memberId: Joi.string().hex().length(24).required() });

export const householdListQuerySchema = Joi.object({
  regionCode: regionCode(),
  status: codes(householdStatus.codes),
  monitoring: codes(monitoringType.codes),
  dibao: Joi.boolean(),
  tekun: Joi.boolean(),
  /** A name (or part of one), or a full ID number. */
  q: Joi.string().trim().min(1).max(50),
  page: Joi.number().integer().min(1).max(100_000).default(1),
  limit: Joi.number().integer().min(1).max(MAX_PAGE_SIZE).default(50),
});

export const revealSchema = Joi.object({ reason: Joi.string().trim().min(4).max(500).required() });

/** DELETE may carry the version read; without it the delete is unconditional. */
export const deleteQuerySchema = Joi.object({ version: Joi.number().integer().min(1) });
