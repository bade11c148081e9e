/**
 * What may go into a spreadsheet cell we write (SECURITY.md "Excel out"), shared by the ledger
 * export, the import error workbook and the eligibility findings workbook.
 *
 * A cell that a spreadsheet program could run must never leave this service: a text that begins
 * with `=`, `+`, `-` or `@` is read as a formula when the file is opened (CSV) or re-typed
 * (xlsx), and tab, CR and NUL are the prefixes used to slip one past a naive check (OWASP "CSV
 * Injection"). Such a text gets a leading `'`, which Excel shows as text and never evaluates.
 * Only plain strings, numbers and dates pass: an exceljs value object carrying `formula`,
 * `sharedFormula` or `hyperlink` is flattened to its plain text (or cached result) first.
 */

export type SafeCellValue = string | number | Date | null;

/** The first characters that make a spreadsheet program treat a text as a formula. */
const FORMULA_TRIGGER = /^[=+\-@\t\r\0]/;

/** Excel's text number format: a cell with it keeps "110105194912310021" as typed. */
export const TEXT_FORMAT = '@';
/** How dates are shown: an ISO day reads the same in every locale and re-imports unambiguously. */
export const DATE_FORMAT = 'yyyy-mm-dd';

export function neutraliseText(text: string): string {
  return FORMULA_TRIGGER.test(text) ? `'${text}` : text;
}

/**
 * The value to hand exceljs (or a CSV field) for `value`. Objects that exceljs reads back from an
 * uploaded file (rich text, formula with its cached result, hyperlink, error) become their plain
 * text, so an import's error workbook can echo a user's cell without echoing its formula.
 * Anything else that is not a string, number, date or null/undefined is a programming error.
 */
export function safeCellValue(value: unknown): SafeCellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return neutraliseText(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return neutraliseText(value.toString());
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v.richText)) {
      return neutraliseText((v.richText as { text?: unknown }[]).map((r) => String(r?.text ?? '')).join(''));
    }
    if ('formula' in v || 'sharedFormula' in v) return safeCellValue('result' in v ? plainResult(v.result) : null);
    if ('hyperlink' in v || 'text' in v) return safeCellValue(typeof v.text === 'object' ? v.text : String(v.text ?? ''));
    if ('error' in v) return neutraliseText(String(v.error));
  }
  throw new TypeError(`Refusing to write a ${typeof value} into a spreadsheet cell`);
}

/** A formula's cached result may itself be an error object or a nested value; keep it plain. */
function plainResult(result: unknown): unknown {
  if (result && typeof result === 'object' && !(result instanceof Date) && 'error' in (result as object)) {
    return String((result as { error: unknown }).error);
  }
  return result;
}

/** A CSV field (RFC 4180): neutralised, then quoted when it holds a comma, quote, CR or LF. */
export function csvField(value: unknown): string {
  const safe = safeCellValue(value);
  if (safe === null) return '';
  const text = safe instanceof Date ? isoDay(safe) : typeof safe === 'number' ? String(safe) : safe;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A calendar day (`YYYY-MM-DD`, as households store them) as the Date exceljs turns into an
 * Excel serial: UTC midnight, so no time zone moves it to the day before (SECURITY.md "Excel in",
 * "without a one-day shift"). Null for anything that is not a day.
 */
export function excelDate(iso: string | null | undefined): Date | null {
  if (typeof iso !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(iso)) return null;
  const d = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** `YYYY-MM-DD` of a Date in UTC (the inverse of excelDate). */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** 2024年6月30日, as the 填报日期 line of a ledger writes it. */
export function chineseDate(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number);
  return `${y}年${m}月${d}日`;
}
