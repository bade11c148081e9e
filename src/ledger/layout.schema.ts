/**
 * The shape of a ledger layout file (`imports/layouts/*.json`), checked when it is loaded so a
 * typo in a layout stops the service with the file's name instead of misreading a county's
 * ledger (STYLE.md 17: data is validated at load). Import and export both read these files.
 */
import Joi from 'joi';
import * as vocabularies from '../registry/vocabulary';

/**
 * How a cell is read and written.
 * - `text`, `integer`, `money` (a number of yuan, decimals allowed), `date` (`YYYY-MM-DD` in the
 *   JSON; serial or text in the sheet), `yesno` (是/否 through the `yesNo` vocabulary),
 * - `idNumber` (text only: a numeric cell has lost digits),
 * - `vocab` (a code of `vocabulary`, written as its Chinese label),
 * - `vocabList` (several codes of `vocabulary`, written as labels joined by 、),
 * - `json` (a list kept whole in one cell as JSON text: 帮扶责任人, 帮扶措施, 走访记录 of the full
 *   template, so export → import loses nothing).
 */
export const columnTypes = ['text', 'integer', 'money', 'date', 'yesno', 'idNumber', 'vocab', 'vocabList', 'json'] as const;
export type ColumnType = (typeof columnTypes)[number];

/**
 * Fields that are not a path in the household JSON:
 * - `rowNumber` 序号 and `personNumber` 人编号: written by the export, ignored by the import;
 * - `memberCount` 人数: the number of member rows (checked on import);
 * - `county`, `township`, `village`: place names, resolved to `regionCode` through the regions;
 * - `attribute` 贫困户属性 (vocabulary `householdAttribute`): sets `dibao` / `tekun`;
 * - `housingUnsafe` 危房户: the negation of `housingSafe`.
 */
export const derivedFields = ['rowNumber', 'personNumber', 'memberCount', 'county', 'township', 'village', 'attribute', 'housingUnsafe'] as const;
export type DerivedField = (typeof derivedFields)[number];

/** Household paths a column may fill (dotted paths into the household JSON). */
export const householdFields = [
  'code', 'regionCode', 'group', 'status', 'exitYear', 'identifiedAt', 'standard', 'dibao', 'tekun', 'tekunCare',
  'causes.main', 'causes.others',
  'income.wage', 'income.business', 'income.transfer', 'income.property', 'income.productionCost',
  'perCapitaNetIncome', 'housingSafe', 'waterSafe', 'wantsIndustry', 'badCredit', 'microloanBalance',
  'medicalOutOfPocket', 'suddenHardship',
  'monitoring.type', 'monitoring.risks', 'monitoring.identifiedAt', 'monitoring.riskEliminated', 'monitoring.eliminatedAt',
  'helpers', 'supports', 'visits', 'phone',
] as const;

/** Member paths, written `members[].<path>`. */
export const memberFields = [
  'name', 'gender', 'idNumber', 'birthDate', 'relation', 'ethnicity', 'education', 'schooling', 'health',
  'disability.category', 'disability.grade', 'labor', 'employment', 'monthsWorked', 'homeSchooling',
  'insurance.medical', 'insurance.seriousIllness', 'insurance.pension', 'phone',
] as const;

export const layoutFields: readonly string[] = [...derivedFields, ...householdFields, ...memberFields.map((f) => `members[].${f}`)];

/** Names of the vocabularies exported by vocabulary.ts (objects with `entries` and `codes`). */
export const vocabularyNames: readonly string[] = Object.entries(vocabularies)
  .filter(([, v]) => typeof v === 'object' && v !== null && 'entries' in v && 'codes' in v)
  .map(([name]) => name);

const columnSchema = Joi.object({
  label: Joi.string().min(1).max(60).required(),
  group: Joi.string().min(1).max(60),
  aliases: Joi.array().items(Joi.string().min(1).max(60)).default([]),
  field: Joi.string().valid(...layoutFields).required(),
  type: Joi.string().valid(...columnTypes).required(),
  vocabulary: Joi.string().valid(...vocabularyNames)
    .when('type', { is: Joi.valid('vocab', 'vocabList'), then: Joi.required(), otherwise: Joi.forbidden() }),
  /** Read a cell that starts with a label as that label (在校生状况 "小学三年级" → primary). */
  prefix: Joi.boolean().default(false),
  required: Joi.boolean().default(false),
  householdLevel: Joi.boolean().required(),
  /** Column width in characters for the export. */
  width: Joi.number().min(2).max(100),
});

export const layoutSchema = Joi.object({
  id: Joi.string().pattern(/^[a-z][a-z0-9-]{1,40}$/).required(),
  title: Joi.string().min(1).max(100).required(),
  description: Joi.string().max(1000),
  sheet: Joi.string().min(1).max(31).required(),
  rowKind: Joi.string().valid('member').required(),
  headerRows: Joi.number().valid(1, 2).required(),
  columns: Joi.array().items(columnSchema).min(1).max(200).required(),
}).custom((layout: { columns: { label: string; group?: string; field: string; householdLevel: boolean }[] }, helpers) => {
  const keys = new Set<string>();
  for (const c of layout.columns) {
    const key = `${c.group ?? ''}/${c.label}`;
    if (keys.has(key)) return helpers.message({ custom: `column "${c.label}" appears twice under the same group` });
    keys.add(key);
    const memberField = c.field.startsWith('members[].');
    if (memberField && c.householdLevel) return helpers.message({ custom: `column "${c.label}" fills a member field but is marked householdLevel` });
    if (!memberField && !c.householdLevel && !['rowNumber', 'personNumber'].includes(c.field)) {
      return helpers.message({ custom: `column "${c.label}" fills a household field but is not marked householdLevel` });
    }
  }
  for (const needed of ['code', 'members[].name', 'members[].idNumber', 'members[].relation']) {
    if (!layout.columns.some((c) => c.field === needed)) return helpers.message({ custom: `the layout has no column for ${needed}` });
  }
  const places = layout.columns.some((c) => c.field === 'regionCode') || ['county', 'township', 'village'].every((f) => layout.columns.some((c) => c.field === f));
  if (!places) return helpers.message({ custom: 'the layout needs a regionCode column or 县 / 乡(镇) / 行政村 columns' });
  return layout;
});
