/**
 * Turns a household's ledger rows into a household in the API's JSON (issue 6 "Import"):
 * every cell typed by its layout column, household columns compared between the rows, the
 * places resolved by the caller, and the result merged over the stored household so that
 * fields the ledger does not carry (帮扶责任人, 残疾, … in the national export) are kept.
 * Members are matched by ID number; a member not in the ledger's rows is no longer a member.
 */
import { parseIdNumber } from '../../registry/id-number';
import type { Household, Member } from '../../registry/household.types';
import { fieldPath, normaliseLabel, vocabularyOf, type Layout, type LayoutColumn } from '../layout';
import { cellText, parseCell, plainCell, type PlainCell } from './cell-value';
import type { HeaderMatch } from './header';

export interface RowError {
  sheet: string;
  row: number;
  column: string | null;
  code: string;
  message: string;
}

/** One data row, typed. */
export interface ParsedRow {
  sheet: string;
  row: number;
  /** The cells as text, in sheet column order (1-based; index 0 unused), for the error workbook. */
  texts: string[];
  /** Non-empty, well-typed values by layout column. */
  values: Map<LayoutColumn, unknown>;
  /** Household-level columns as read (typed value when it parsed), compared between a household's rows. */
  householdTexts: Map<LayoutColumn, { key: string; text: string }>;
  code: string | null;
  errors: RowError[];
  blank: boolean;
}

export interface RowParser {
  parse(sheet: string, rowNumber: number, rawCells: unknown[]): ParsedRow;
  columns: LayoutColumn[];
  codeColumn: LayoutColumn;
}

export function rowParser(layout: Layout, header: HeaderMatch): RowParser {
  const entries = [...header.columns.entries()].map(([index, column]) => ({
    index, column, vocab: column.type === 'vocab' || column.type === 'vocabList' ? vocabularyOf(column) : undefined,
  }));
  const codeColumn = layout.columns.find((c) => c.field === 'code') as LayoutColumn;
  // Ledger cells repeat (户主, 健康, 是): a vocabulary cell is looked up once per distinct text.
  const memo = new Map<LayoutColumn, Map<string, ReturnType<typeof parseCell>>>();
  const parseMemo = (cell: PlainCell, column: LayoutColumn, vocab: ReturnType<typeof vocabularyOf> | undefined) => {
    if ((column.type !== 'vocab' && column.type !== 'yesno') || typeof cell !== 'string') return parseCell(cell, column.type, column.label, vocab, column.prefix);
    let byText = memo.get(column);
    if (!byText) memo.set(column, (byText = new Map()));
    let parsed = byText.get(cell);
    if (!parsed) {
      parsed = parseCell(cell, column.type, column.label, vocab, column.prefix);
      if (byText.size < 5000) byText.set(cell, parsed);
    }
    return parsed;
  };
  return {
    columns: entries.map((e) => e.column),
    codeColumn,
    parse(sheet, rowNumber, rawCells) {
      const texts: string[] = [];
      let blank = true;
      const cells: PlainCell[] = [];
      for (let i = 1; i < rawCells.length; i++) {
        const cell = plainCell(rawCells[i]);
        cells[i] = cell;
        texts[i] = cellText(cell);
        if (cell !== null) blank = false;
      }
      const values = new Map<LayoutColumn, unknown>();
      const householdTexts = new Map<LayoutColumn, { key: string; text: string }>();
      const errors: RowError[] = [];
      for (const { index, column, vocab } of entries) {
        const cell = cells[index] ?? null;
        if (cell === null) continue;
        const parsed = parseMemo(cell, column, vocab);
        // 2019-03-01 and 2019年3月1日 are the same date: rows agree when their values do.
        if (column.householdLevel) householdTexts.set(column, { key: 'error' in parsed ? normaliseLabel(texts[index]) : JSON.stringify(parsed.value), text: texts[index] });
        if ('error' in parsed) errors.push({ sheet, row: rowNumber, column: column.label, ...parsed.error });
        else {
          values.set(column, parsed.value);
          // The error workbook shows a date as a date, not as Excel's serial number.
          if (column.type === 'date') texts[index] = parsed.value as string;
        }
      }
      const code = values.get(codeColumn);
      return { sheet, row: rowNumber, texts, values, householdTexts, code: typeof code === 'string' && code !== '' ? code : null, errors, blank };
    },
  };
}

/**
 * A merged cell shows its value in its first row only, and the streaming reader cannot see the
 * merge (it is written after the rows): an empty household-level cell on a later row of the
 * same household is read as the value above it, as a person reads a merged column.
 */
export function fillDown(row: ParsedRow, previous: ParsedRow): void {
  for (const [column, value] of previous.values) {
    if (column.householdLevel && !row.values.has(column) && !row.errors.some((e) => e.column === column.label)) {
      row.values.set(column, value);
      const text = previous.householdTexts.get(column);
      if (text !== undefined) row.householdTexts.set(column, text);
    }
  }
  if (row.code === null) row.code = previous.code;
}

/** Household columns whose text differs between rows of one household: an error on the row that differs. */
export function disagreements(rows: ParsedRow[]): RowError[] {
  const first = rows[0];
  const errors: RowError[] = [];
  for (const row of rows.slice(1)) {
    for (const [column, here] of row.householdTexts) {
      const expected = first.householdTexts.get(column);
      if (expected !== undefined && expected.key !== here.key) {
        errors.push({
          sheet: row.sheet, row: row.row, column: column.label, code: 'HOUSEHOLD_COLUMNS_DISAGREE',
          message: `${column.label} is "${here.text}" here but "${expected.text}" on row ${first.row} of the same household (户编号 ${first.code ?? ''})`,
        });
      }
    }
  }
  return errors;
}

export function emptyMember(): Member {
  return {
    name: '', gender: null, idNumber: '', birthDate: null, relation: 'other', ethnicity: null, education: null,
    schooling: null, health: null, disability: null, labor: null, employment: null, monthsWorked: null,
    homeSchooling: false, insurance: { medical: null, seriousIllness: null, pension: null }, phone: null,
  };
}

export function emptyHousehold(code: string, regionCode: string): Household {
  return {
    code, regionCode, group: null, status: 'poor', exitYear: null, identifiedAt: null, standard: null,
    dibao: false, tekun: false, tekunCare: null, causes: { main: null, others: [] },
    income: { wage: null, business: null, transfer: null, property: null, productionCost: null },
    perCapitaNetIncome: null, housingSafe: null, waterSafe: null, wantsIndustry: null, badCredit: null,
    microloanBalance: null, medicalOutOfPocket: null, suddenHardship: null, monitoring: null,
    helpers: [], supports: [], visits: [], phone: null, members: [],
  };
}

/** The stored household as input again: bookkeeping (version, dates, member ids) removed. */
export function asInput(stored: Household): Household {
  const copy = structuredClone(stored) as Household & Record<string, unknown>;
  for (const key of ['version', 'createdAt', 'updatedAt', 'createdBy', 'updatedBy', '_id', 'id']) delete copy[key];
  copy.members = copy.members.map((m) => {
    const { id: _id, ...rest } = m as Member & { personId?: unknown };
    delete (rest as Record<string, unknown>).personId;
    return rest;
  });
  return copy;
}

const paths = new WeakMap<LayoutColumn, ReturnType<typeof fieldPath>>();
function pathOf(column: LayoutColumn): ReturnType<typeof fieldPath> {
  let p = paths.get(column);
  if (!p) paths.set(column, (p = fieldPath(column.field)));
  return p;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/** Null for a cell left empty, by type: an empty 是/否 of a required flag is 否. */
function emptyValue(column: LayoutColumn): unknown {
  if (column.type === 'vocabList' || column.type === 'json') return [];
  if (['dibao', 'tekun', 'members[].homeSchooling', 'monitoring.riskEliminated'].includes(column.field)) return false;
  return null;
}

const monitoringFields = new Set(['monitoring.type', 'monitoring.risks', 'monitoring.identifiedAt', 'monitoring.riskEliminated', 'monitoring.eliminatedAt']);

export interface BuildInput {
  rows: ParsedRow[];
  /** Layout columns present in the sheet's header. */
  columns: LayoutColumn[];
  regionCode: string;
  existing: Household | null;
}

/**
 * Builds the household from its rows over `existing` (or an empty one). Returns the household and
 * the errors found on the way (member count); validation is the caller's, with validateHousehold.
 */
export function buildHousehold({ rows, columns, regionCode, existing }: BuildInput): { household: Household; errors: RowError[] } {
  const first = rows[0];
  const code = first.code as string;
  const base = existing ? asInput(existing) : emptyHousehold(code, regionCode);
  const household = base as Household & Record<string, unknown>;
  household.code = code;
  household.regionCode = regionCode;
  const errors: RowError[] = [];
  const touchesMonitoring = columns.some((c) => monitoringFields.has(c.field));
  if (touchesMonitoring) {
    household.monitoring = household.monitoring ?? { type: null, risks: [], identifiedAt: null, riskEliminated: false, eliminatedAt: null };
  }

  for (const column of columns) {
    if (!column.householdLevel) continue;
    const value = first.values.has(column) ? first.values.get(column) : emptyValue(column);
    switch (column.field) {
      case 'county': case 'township': case 'village': case 'regionCode': case 'code':
        break;
      case 'memberCount':
        if (typeof value === 'number' && value !== rows.length) {
          errors.push({ sheet: first.sheet, row: first.row, column: column.label, code: 'MEMBER_COUNT_MISMATCH', message: `${column.label} says ${value} but the household has ${rows.length} member rows` });
        }
        break;
      case 'attribute':
        if (value !== null) {
          household.dibao = value === 'dibao';
          household.tekun = value === 'tekun';
        }
        break;
      case 'housingUnsafe':
        household.housingSafe = value === null ? null : !value;
        break;
      default:
        setPath(household, pathOf(column).path, value);
    }
  }
  if (household.monitoring) {
    const m = household.monitoring;
    if (m.type === null && m.risks.length === 0 && m.identifiedAt === null && !m.riskEliminated && m.eliminatedAt === null) household.monitoring = null;
  }

  const byPerson = new Map<string, Member>();
  for (const m of base.members) byPerson.set(m.idNumber.slice(0, 18).toUpperCase(), m);
  const idColumn = columns.find((c) => c.field === 'members[].idNumber');
  household.members = rows.map((row) => {
    const idNumber = idColumn ? row.values.get(idColumn) : undefined;
    const known = typeof idNumber === 'string' ? byPerson.get(idNumber.slice(0, 18)) : undefined;
    const member = (known ? structuredClone(known) : emptyMember()) as Member & Record<string, unknown>;
    for (const column of columns) {
      const { level, path } = pathOf(column);
      if (level !== 'member') continue;
      let value = row.values.has(column) ? row.values.get(column) : emptyValue(column);
      if (column.field === 'members[].disability.grade' && typeof value === 'string') value = Number(value);
      if (path[0] === 'disability') member.disability = member.disability ?? { category: null, grade: null };
      setPath(member, path, value);
    }
    if (member.disability && member.disability.category === null && member.disability.grade === null) member.disability = null;
    // Gender and birth date follow from the ID number when the ledger has no column for them.
    const parsed = parseIdNumber(member.idNumber);
    if (parsed.valid) {
      if (!columns.some((c) => c.field === 'members[].gender') || member.gender === null) member.gender = parsed.gender;
      if (!columns.some((c) => c.field === 'members[].birthDate') || member.birthDate === null) member.birthDate = parsed.birthDate;
    }
    return member;
  });
  return { household, errors };
}

/**
 * Maps a validateHousehold error path ('members.2.idNumber', 'income.wage') to the row and
 * column of the ledger it came from.
 */
export function locate(path: string, rows: ParsedRow[], columns: LayoutColumn[]): { row: ParsedRow; column: string | null } {
  const parts = path.replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean);
  if (parts[0] === 'members' && parts.length >= 2 && /^\d+$/.test(parts[1])) {
    const row = rows[Number(parts[1])] ?? rows[0];
    const rest = parts.slice(2).filter((p) => !/^\d+$/.test(p));
    for (let n = rest.length; n > 0; n--) {
      const field = `members[].${rest.slice(0, n).join('.')}`;
      const column = columns.find((c) => c.field === field);
      if (column) return { row, column: column.label };
    }
    return { row, column: null };
  }
  const fields = parts.filter((p) => !/^\d+$/.test(p));
  for (let n = fields.length; n > 0; n--) {
    const field = fields.slice(0, n).join('.');
    const column = columns.find((c) => c.field === field)
      ?? (field === 'regionCode' ? columns.find((c) => c.field === 'village') : undefined)
      ?? (field === 'housingSafe' ? columns.find((c) => c.field === 'housingUnsafe') : undefined)
      ?? (field === 'dibao' || field === 'tekun' ? columns.find((c) => c.field === 'attribute') : undefined)
      ?? (parts[0] === 'members' ? columns.find((c) => c.field === 'members[].relation') : undefined);
    if (column) return { row: rows[0], column: column.label };
  }
  return { row: rows[0], column: null };
}
