/**
 * The per-category ledgers (兜底保障, 残疾, 慢性病, 健康, 教育, 产业, 小额贷款, 财产保险): which
 * columns each has and which rows. Categories that count persons (POLICY.md "Support
 * categories", "persons counted") list the persons the determination counts, one per row; the
 * households-only ones (产业扶贫, 扶贫小额贷款) list households with their 户主. The column map
 * is one named constant (STYLE.md 19), in the same shape as a layout's columns.
 */
import type { Household, Member } from '../../registry/household.types';
import type { SupportCategory } from '../../registry/vocabulary';
import type { CategoryResult } from '../../eligibility/evaluate';
import { factCatalogue } from '../../eligibility/facts';
import { findVocabulary, type ExportColumn } from './row.mapper';

const place: ExportColumn[] = [
  { label: '序号', field: 'rowNumber', type: 'integer', width: 6 },
  { label: '县', field: 'county', type: 'text', width: 10 },
  { label: '乡(镇)', field: 'township', type: 'text', width: 10 },
  { label: '行政村', field: 'village', type: 'text', width: 10 },
  { label: '自然村', field: 'group', type: 'text', width: 10 },
  { label: '户编号', field: 'code', type: 'text', width: 22 },
];

const household: ExportColumn[] = [
  { label: '人数', field: 'memberCount', type: 'integer', width: 6 },
  { label: '脱贫属性', field: 'status', type: 'vocab', vocabulary: 'householdStatus', width: 16 },
  { label: '贫困户属性', field: 'attribute', type: 'vocab', vocabulary: 'householdAttribute', width: 14 },
];

/** Household rows: the 户主 stands for the household. */
const householdColumns: ExportColumn[] = [
  ...place,
  { label: '户主姓名', field: 'members[].name', type: 'text', width: 8 },
  { label: '户主证件号码', field: 'members[].idNumber', type: 'idNumber', width: 22 },
  ...household,
  { label: '发展产业意愿', field: 'wantsIndustry', type: 'yesno', width: 10 },
  { label: '不良信用', field: 'badCredit', type: 'yesno', width: 8 },
  { label: '小额信贷余额', field: 'microloanBalance', type: 'money', width: 12 },
  { label: '联系电话', field: 'phone', type: 'text', width: 14 },
];

/** Person rows: who the category counts, and what about them makes them count. */
const personColumns: ExportColumn[] = [
  ...place,
  { label: '户主姓名', field: 'headName', type: 'text', width: 8 },
  { label: '人编号', field: 'personNumber', type: 'text', width: 24 },
  { label: '姓名', field: 'members[].name', type: 'text', width: 8 },
  { label: '证件号码', field: 'members[].idNumber', type: 'idNumber', width: 22 },
  { label: '性别', field: 'members[].gender', type: 'vocab', vocabulary: 'gender', width: 6 },
  { label: '与户主关系', field: 'members[].relation', type: 'vocab', vocabulary: 'relation', width: 10 },
  { label: '出生日期', field: 'members[].birthDate', type: 'date', width: 12 },
  { label: '健康状况', field: 'members[].health', type: 'vocab', vocabulary: 'health', width: 12 },
  { label: '残疾类别', field: 'members[].disability.category', type: 'vocab', vocabulary: 'disabilityCategory', width: 10 },
  { label: '残疾等级', field: 'members[].disability.grade', type: 'vocab', vocabulary: 'disabilityGrade', width: 8 },
  { label: '在校生状况', field: 'members[].schooling', type: 'vocab', vocabulary: 'schooling', width: 12 },
  { label: '劳动技能', field: 'members[].labor', type: 'vocab', vocabulary: 'labor', width: 12 },
  ...household,
];

export interface CategoryLedger {
  perPerson: boolean;
  columns: ExportColumn[];
}

export function categoryLedger(_category: SupportCategory, householdsOnly: boolean): CategoryLedger {
  return householdsOnly ? { perPerson: false, columns: householdColumns } : { perPerson: true, columns: personColumns };
}

/** The members a category counts (the determination's `members`), in the household's order. */
export function countedMembers(h: Household, category: Pick<CategoryResult, 'members'>): Member[] {
  return category.members.map((ref) => h.members[ref.index]).filter((m): m is Member => m !== undefined);
}

const operatorText: Record<string, string> = {
  equal: '=', notEqual: '≠', lessThan: '<', lessThanInclusive: '≤', greaterThan: '>', greaterThanInclusive: '≥',
  in: '属于', notIn: '不属于', contains: '包含', doesNotContain: '不包含',
};

function valueText(v: unknown): string {
  if (v === true) return '是';
  if (v === false) return '否';
  if (v === null || v === undefined) return '无';
  if (Array.isArray(v)) return v.map(valueText).join('、');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * 纳入依据: why the household is in the category, in words a cadre can check against the
 * record: each condition that held, with the record's value, the operator and the value compared
 * with, and the parameter with its effective date (POLICY.md: a determination records them).
 */
export function categoryReason(category: Pick<CategoryResult, 'conditions'>): string {
  return category.conditions.filter((c) => c.result === true).map((c) => {
    const name = factCatalogue[c.fact]?.description ?? c.fact;
    // A flag reads best as the flag alone: 「低保户」, 「有不良信用记录：否」.
    if (c.operator === 'equal' && typeof c.value === 'boolean') return c.value ? name : `${name}：否`;
    // Facts named after a vocabulary (tekunCare) compare codes: show their labels.
    const vocab = findVocabulary(c.fact);
    const text = (v: unknown) => (vocab && typeof v === 'string' ? vocab.entries.find((e) => e.code === v)?.label ?? v : valueText(v));
    const param = c.parameter ? `（${c.parameter.name}，${c.parameter.effectiveFrom}起）` : '';
    return `${name}${text(c.factValue)}${operatorText[c.operator] ?? ` ${c.operator} `}${text(c.value)}${param}`;
  }).join('；');
}
