/**
 * Turns a household into ledger rows, column by column, as a layout file describes them
 * (imports/layouts/*.json, shared with the importer: STYLE.md 19). A layout's `field` is a path
 * into the household JSON (`code`, `income.wage`, `members[].idNumber`) or one of the derived
 * fields below; each column is compiled once into a getter and a formatter so the per-row work
 * is a few property reads (the export target is ≥ 40k rows/s, PERF-NOTES.md).
 *
 * Every value leaves through `safeCellValue` (SECURITY.md "Excel out"); ID numbers and phones
 * are masked unless the caller may see them.
 */
import type { Household, Member } from '../../registry/household.types';
import type { ColumnType } from '../layout.schema';
import { maskIdNumber, maskPhone } from '../../registry/id-number';
import * as vocabularies from '../../registry/vocabulary';
import type { Vocabulary } from '../../registry/vocabulary';
import { DATE_FORMAT, TEXT_FORMAT, excelDate, safeCellValue, type SafeCellValue } from '../cell';

export type { ColumnType } from '../layout.schema';

/** The part of a layout column the export reads (the layout schema is the importer's). */
export interface ExportColumn {
  label: string;
  group?: string | null;
  field: string;
  type: ColumnType;
  vocabulary?: string | null;
  householdLevel?: boolean;
  width?: number;
}

export interface ExportLayout {
  id: string;
  title?: string;
  sheet?: string;
  rowKind?: string;
  headerRows?: number;
  columns: readonly ExportColumn[];
}

/** Names of the divisions above a village, as the regions collection has them. */
export interface PlaceNames {
  county: string | null;
  township: string | null;
  village: string | null;
}

export interface RowContext {
  /** Full ID numbers and phones (`id:view`); masked otherwise. */
  reveal: boolean;
  places(regionCode: string): PlaceNames;
}

/** One row being written: the household, the member on this row (null for household rows). */
export interface RowSource {
  household: Household;
  member: Member | null;
  /** 1-based position of the member in the household as written (户主 first). */
  memberSeq: number;
  /** 序号: 1-based row number in the ledger. */
  seq: number;
  ctx: RowContext;
}

type Getter = (src: RowSource) => unknown;

/**
 * Fields that are not stored as such but that ledgers carry. Place names come from the regions
 * collection because ledgers name places, not codes (DESIGN.md "HTTP API", regions).
 */
const derivedFields: Record<string, Getter> = {
  rowNumber: (s) => s.seq,
  /** 人编号: the household code and the member's position, as the national system numbers people. */
  personNumber: (s) => (s.member ? `${s.household.code}${String(s.memberSeq).padStart(2, '0')}` : null),
  memberCount: (s) => s.household.members.length,
  county: (s) => s.ctx.places(s.household.regionCode).county,
  township: (s) => s.ctx.places(s.household.regionCode).township,
  village: (s) => s.ctx.places(s.household.regionCode).village,
  attribute: (s) => householdAttribute(s.household),
  /** 户主姓名 on rows of other members (the per-category person ledgers). */
  headName: (s) => s.household.members.find((m) => m.relation === 'head')?.name ?? null,
  housingUnsafe: (s) => (s.household.housingSafe === null || s.household.housingSafe === undefined ? null : !s.household.housingSafe),
};

/**
 * 贫困户属性 as the national system writes it: 特困供养 before 低保 (a 特困 household is also
 * counted as receiving assistance), else 一般. Codes of the `householdAttribute` vocabulary.
 */
export function householdAttribute(h: Household): string {
  if (h.tekun) return 'tekun';
  if (h.dibao) return 'dibao';
  return 'general';
}

type Segment = string | number;

function parsePath(path: string): Segment[] {
  const out: Segment[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) throw new Error(`Cannot read layout field path "${path}"`);
    out.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

function pathGetter(path: Segment[]): (root: unknown) => unknown {
  if (path.length === 1) {
    const key = path[0];
    return (root) => (root as Record<Segment, unknown> | null | undefined)?.[key];
  }
  return (root) => {
    let v: unknown = root;
    for (const seg of path) {
      if (v === null || v === undefined) return null;
      v = (v as Record<Segment, unknown>)[seg];
    }
    return v;
  };
}

/** The getter for a layout field: derived, a member path (`members[].x`) or a household path. */
export function fieldGetter(field: string): Getter {
  const derived = derivedFields[field];
  if (derived) return derived;
  if (field.startsWith('members[].')) {
    const get = pathGetter(parsePath(field.slice('members[].'.length)));
    return (s) => (s.member ? get(s.member) : null);
  }
  const get = pathGetter(parsePath(field));
  return (s) => get(s.household);
}

const vocabularyByName: Record<string, Vocabulary<string>> = Object.fromEntries(
  Object.entries(vocabularies).filter(([, v]) => isVocabulary(v)) as [string, Vocabulary<string>][],
);

function isVocabulary(v: unknown): v is Vocabulary<string> {
  return typeof v === 'object' && v !== null && Array.isArray((v as Vocabulary<string>).entries) && typeof (v as Vocabulary<string>).title === 'string';
}

/** A vocabulary by its export name in vocabulary.ts (`health`, `householdStatus`) or its `name`. */
export function findVocabulary(name: string): Vocabulary<string> | undefined {
  return vocabularyByName[name] ?? Object.values(vocabularyByName).find((v) => v.name === name);
}

/** Labels join lists (致贫原因 others, 风险类型) the way ledgers write them: 因病、因学. */
export const LIST_SEPARATOR = '、';

type Formatter = (raw: unknown, reveal: boolean) => SafeCellValue;

function plainText(raw: unknown): string | null {
  if (raw === null || raw === undefined || raw === '') return null;
  if (Array.isArray(raw)) return raw.length === 0 ? null : raw.map((r) => plainText(r) ?? '').join(LIST_SEPARATOR);
  if (typeof raw === 'object') return JSON.stringify(raw);
  return String(raw);
}

function formatterFor(column: ExportColumn): Formatter {
  const isPhone = /(^|\.|\])phone$/i.test(column.field);
  switch (column.type) {
    case 'integer':
    case 'money':
      return (raw) => {
        if (raw === null || raw === undefined || raw === '') return null;
        const n = typeof raw === 'number' ? raw : Number(raw);
        return Number.isFinite(n) ? n : safeCellValue(String(raw));
      };
    case 'date':
      return (raw) => (typeof raw === 'string' ? excelDate(raw) ?? safeCellValue(raw) : raw instanceof Date ? raw : null);
    case 'yesno':
      return (raw) => (raw === true ? '是' : raw === false ? '否' : null);
    case 'idNumber':
      return (raw, reveal) => {
        const text = plainText(raw);
        if (text === null) return null;
        return safeCellValue(reveal ? text : maskIdNumber(text));
      };
    case 'json':
      // A list kept whole (帮扶责任人, 帮扶措施, 走访记录 of the full template); [] is an empty cell.
      return (raw) => {
        if (raw === null || raw === undefined || (Array.isArray(raw) && raw.length === 0)) return null;
        return safeCellValue(JSON.stringify(raw));
      };
    case 'vocab':
    case 'vocabList': {
      const vocab = column.vocabulary ? findVocabulary(column.vocabulary) : undefined;
      if (!vocab) throw new Error(`Layout column ${column.label}: unknown vocabulary "${column.vocabulary}"`);
      const labels = new Map(vocab.entries.map((e) => [e.code, e.label]));
      const one = (code: unknown) => (code === null || code === undefined || code === '' ? '' : labels.get(String(code)) ?? String(code));
      return (raw) => {
        if (raw === null || raw === undefined) return null;
        const text = Array.isArray(raw) ? raw.map(one).filter((l) => l !== '').join(LIST_SEPARATOR) : one(raw);
        return text === '' ? null : safeCellValue(text);
      };
    }
    case 'text':
    default:
      return (raw, reveal) => {
        const text = plainText(raw);
        if (text === null) return null;
        return safeCellValue(isPhone && !reveal ? maskPhone(text) : text);
      };
  }
}

/** A column ready to write: header, number format, width, and the value for a row. */
export interface SheetColumn {
  label: string;
  group?: string | null;
  numFmt?: string;
  width: number;
}

export interface CompiledColumn extends SheetColumn {
  value(src: RowSource): SafeCellValue;
}

function widthFor(column: ExportColumn): number {
  if (column.width) return column.width;
  if (column.type === 'idNumber') return 22;
  if (column.type === 'date') return 12;
  // CJK characters are about two character widths wide.
  const labelWidth = [...column.label].reduce((w, ch) => w + (ch.charCodeAt(0) > 0xff ? 2 : 1), 0);
  return Math.min(Math.max(labelWidth + 2, 8), 30);
}

export function compileColumns(columns: readonly ExportColumn[]): CompiledColumn[] {
  return columns.map((column) => {
    const get = fieldGetter(column.field);
    const format = formatterFor(column);
    return {
      label: column.label,
      group: column.group ?? null,
      numFmt: column.type === 'idNumber' ? TEXT_FORMAT : column.type === 'date' ? DATE_FORMAT : undefined,
      width: widthFor(column),
      value: (src) => format(get(src), src.ctx.reveal),
    };
  });
}

/** 户主 first, the others in the order recorded (issue 6: "户主 first"). */
export function membersHeadFirst(members: readonly Member[]): Member[] {
  const head = members.findIndex((m) => m.relation === 'head');
  if (head <= 0) return [...members];
  return [members[head], ...members.slice(0, head), ...members.slice(head + 1)];
}

/**
 * The rows of one household: one per member (household columns repeated on every member row)
 * for member layouts, or one for the household. A household without members still gets one
 * row, so it is not silently missing from the ledger.
 */
export function householdRows(household: Household, columns: readonly CompiledColumn[], ctx: RowContext, firstSeq: number, perMember: boolean): SafeCellValue[][] {
  const ordered = membersHeadFirst(household.members);
  // A household row shows its 户主 in member columns (户主姓名, 证件号码).
  const members = perMember ? ordered : ordered.slice(0, 1);
  const sources: RowSource[] = members.length === 0
    ? [{ household, member: null, memberSeq: 0, seq: firstSeq, ctx }]
    : members.map((member, i) => ({ household, member, memberSeq: i + 1, seq: firstSeq + i, ctx }));
  return sources.map((src) => columns.map((c) => c.value(src)));
}
