/**
 * Reads a cell as a person reads it (SECURITY.md "Excel in"): rich text as its plain text, a
 * formula as its cached result, a hyperlink as its text, an error (#N/A) as empty; then turns the
 * text into the column's type. Dates come out as `YYYY-MM-DD` computed in UTC from the serial
 * number, so no time zone can move them by a day.
 */
import { fromText, yesNo, type Vocabulary } from '../../registry/vocabulary';
import { isRealDate } from '../../registry/id-number';
import type { ColumnType } from '../layout.schema';

/** What a cell holds once read: a string, a number, a boolean, a Date, or null when empty. */
export type PlainCell = string | number | boolean | Date | null;

export function plainCell(value: unknown): PlainCell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    if (value.trim() === '') return null;
    // Our exports neutralise formula-like text with a leading ' (SECURITY.md "Excel out"); read it back as typed.
    // The first character decides (no regex per cell: a county is millions of cells).
    return value.charCodeAt(0) === 39 && /^'[=+\-@\t\r\0]/.test(value) ? value.slice(1) : value;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean' || value instanceof Date) return value;
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v.richText)) return plainCell(v.richText.map((run: { text?: unknown }) => String(run?.text ?? '')).join(''));
    if ('formula' in v || 'sharedFormula' in v) return plainCell(v.result);
    if ('error' in v) return null;
    if ('text' in v) return plainCell(v.text);
    if ('result' in v) return plainCell(v.result);
  }
  return null;
}

/** The cell as text for the error workbook and for comparing a household's rows. */
export function cellText(cell: PlainCell): string {
  if (cell === null) return '';
  if (cell instanceof Date) return cell.toISOString().slice(0, 10);
  if (typeof cell === 'boolean') return cell ? '是' : '否';
  return String(cell).trim();
}

export type RowProblemCode =
  | 'ID_NUMBER_NOT_TEXT' | 'NUMBER_NOT_TEXT' | 'INVALID_DATE' | 'INVALID_NUMBER' | 'INVALID_VALUE' | 'INVALID_JSON' | 'REQUIRED';

export interface CellProblem {
  code: RowProblemCode;
  message: string;
}

export type Parsed = { value: unknown } | { error: CellProblem };

/** Excel's day 25569 is 1970-01-01; days before 1900-03-01 carry Lotus' 1900-02-29 and are refused. */
export function serialToIso(serial: number, date1904 = false): string | null {
  if (!Number.isFinite(serial)) return null;
  const days = Math.floor(serial) + (date1904 ? 1462 : 0);
  if (days < 61 || days > 2958465) return null;
  return new Date((days - 25569) * 86_400_000).toISOString().slice(0, 10);
}

function isoFrom(y: number, m: number, d: number): string | null {
  const iso = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  return isRealDate(iso) ? iso : null;
}

/** 2019/3/1, 2019-03-01, 2019.3.1, 2019年3月1日, 20190301, and a serial typed as text. */
export function parseDateText(text: string): string | null {
  const t = text.trim().replace(/\s+/g, '');
  let m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(t);
  if (m) return isoFrom(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{4})(\d{2})(\d{2})$/.exec(t);
  if (m) return isoFrom(Number(m[1]), Number(m[2]), Number(m[3]));
  // A date with a time part, as some systems export it: keep the calendar day as written.
  m = /^(\d{4})-(\d{2})-(\d{2})T[\d:.]+Z?$/.exec(t);
  if (m) return isoFrom(Number(m[1]), Number(m[2]), Number(m[3]));
  return null;
}

function toDate(cell: PlainCell): string | null {
  if (cell instanceof Date) return Number.isNaN(cell.getTime()) ? null : cell.toISOString().slice(0, 10);
  if (typeof cell === 'number') {
    // 20190301 typed into a number cell is a date written without separators, not a serial.
    if (Number.isInteger(cell) && cell >= 18000101 && cell <= 29991231) return parseDateText(String(cell));
    return serialToIso(cell);
  }
  if (typeof cell === 'string') {
    if (/^\d{1,5}(\.\d+)?$/.test(cell.trim())) return serialToIso(Number(cell));
    return parseDateText(cell);
  }
  return null;
}

function toNumber(cell: PlainCell): number | null {
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'string') {
    const t = cell.trim().replace(/[,，\s]/g, '').replace(/元$/, '');
    if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  }
  return null;
}

/** Splits a list cell: 因病、因学 / 因病,因学 / 因病；因学 / 因病/因学. */
export function splitList(text: string): string[] {
  return text.split(/[、,，;；/|\n]+/).map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Converts one non-empty cell to the column's type. `label` names the column in messages;
 * `vocab` is the column's vocabulary for `vocab` / `vocabList`.
 */
export function parseCell(cell: PlainCell, type: ColumnType, label: string, vocab?: Vocabulary<string>, prefix = false): Parsed {
  const text = cellText(cell);
  switch (type) {
    case 'idNumber':
      if (typeof cell === 'number') {
        return { error: { code: 'ID_NUMBER_NOT_TEXT', message: `${label} is stored as a number (${text}); its last digits are already lost. Format the column as text and type the number again` } };
      }
      return { value: text.toUpperCase() };
    case 'text':
      if (typeof cell === 'number' && !Number.isSafeInteger(cell) && Number.isInteger(cell)) {
        return { error: { code: 'NUMBER_NOT_TEXT', message: `${label} is stored as a number too long to keep its digits (${text}); format the column as text` } };
      }
      return { value: text };
    case 'integer': {
      const n = toNumber(cell);
      if (n === null || !Number.isInteger(n)) return { error: { code: 'INVALID_NUMBER', message: `${label} must be a whole number, not "${text}"` } };
      return { value: n };
    }
    case 'money': {
      const n = toNumber(cell);
      if (n === null) return { error: { code: 'INVALID_NUMBER', message: `${label} must be an amount in yuan, not "${text}"` } };
      return { value: Math.round(n * 100) / 100 };
    }
    case 'date': {
      const iso = toDate(cell);
      if (!iso) return { error: { code: 'INVALID_DATE', message: `${label} is not a date: "${text}" (write 2019-03-01, 2019/3/1 or 2019年3月1日)` } };
      return { value: iso };
    }
    case 'yesno': {
      if (typeof cell === 'boolean') return { value: cell };
      const code = fromText(yesNo, text);
      if (!code) return { error: { code: 'INVALID_VALUE', message: `${label} must be 是 or 否, not "${text}"` } };
      return { value: code === 'yes' };
    }
    case 'vocab': {
      const code = vocab ? fromText(vocab, text, { prefix }) : undefined;
      if (!code) return { error: { code: 'INVALID_VALUE', message: `${label}: "${text}" is not one of ${vocab?.entries.map((e) => e.label).join('、')}` } };
      return { value: code };
    }
    case 'vocabList': {
      const codes: string[] = [];
      for (const part of splitList(text)) {
        const code = vocab ? fromText(vocab, part, { prefix }) : undefined;
        if (!code) return { error: { code: 'INVALID_VALUE', message: `${label}: "${part}" is not one of ${vocab?.entries.map((e) => e.label).join('、')}` } };
        if (!codes.includes(code)) codes.push(code);
      }
      return { value: codes };
    }
    case 'json': {
      try {
        const value: unknown = JSON.parse(text);
        if (!Array.isArray(value)) throw new Error('not a list');
        return { value };
      } catch {
        return { error: { code: 'INVALID_JSON', message: `${label} must be a JSON list as the full template writes it` } };
      }
    }
  }
}
