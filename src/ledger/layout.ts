/**
 * Ledger layouts: the column maps in `imports/layouts/*.json` (data, not code; STYLE.md 4 and 19).
 * One file describes one ledger format for both directions: the import finds its header by
 * these labels and aliases, the export writes them (with `group` as the upper, merged header).
 *
 * Files are validated when first loaded; a bad file throws an error that names it.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as vocabularies from '../registry/vocabulary';
import type { Vocabulary } from '../registry/vocabulary';
import { layoutSchema, type ColumnType } from './layout.schema';

export interface LayoutColumn {
  label: string;
  /** The upper header of a two-level header (merged across its columns on export). */
  group?: string;
  aliases: string[];
  /** A path in the household JSON ('code', 'income.wage', 'members[].idNumber') or a derived field. */
  field: string;
  type: ColumnType;
  /** Export name in vocabulary.ts, for `vocab` and `vocabList` columns. */
  vocabulary?: string;
  prefix: boolean;
  required: boolean;
  householdLevel: boolean;
  width?: number;
}

export interface Layout {
  id: string;
  title: string;
  description?: string;
  sheet: string;
  rowKind: 'member';
  headerRows: 1 | 2;
  columns: LayoutColumn[];
}

export class LayoutError extends Error {}

/** Where the layout files live; relative to this file so it holds in any checkout. */
export const layoutsDir = path.resolve(__dirname, '../../imports/layouts');

const cache = new Map<string, Layout>();

/** Parses and validates one layout file; the error names the file. */
export function readLayoutFile(file: string): Layout {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new LayoutError(`${path.basename(file)}: not readable JSON (${(err as Error).message})`);
  }
  const { value, error } = layoutSchema.validate(raw, { abortEarly: false });
  if (error) throw new LayoutError(`${path.basename(file)}: ${error.details.map((d) => d.message).join('; ')}`);
  const layout = value as Layout;
  if (`${layout.id}.json` !== path.basename(file)) {
    throw new LayoutError(`${path.basename(file)}: id "${layout.id}" does not match the file name`);
  }
  return layout;
}

/** Ids of the layouts shipped in imports/layouts. */
export function listLayouts(): string[] {
  return fs.readdirSync(layoutsDir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

export function isLayoutId(id: unknown): id is string {
  return typeof id === 'string' && /^[a-z][a-z0-9-]{1,40}$/.test(id) && listLayouts().includes(id);
}

/** The layout with this id; throws LayoutError when there is none or it is invalid. */
export function loadLayout(id: string): Layout {
  const cached = cache.get(id);
  if (cached) return cached;
  if (!isLayoutId(id)) throw new LayoutError(`no layout "${String(id)}" (known: ${listLayouts().join(', ')})`);
  const layout = readLayoutFile(path.join(layoutsDir, `${id}.json`));
  cache.set(id, layout);
  return layout;
}

/** Loads every layout: the server calls it at start-up so a bad file stops it early. */
export function loadAllLayouts(): Layout[] {
  return listLayouts().map(loadLayout);
}

/** The vocabulary a `vocab` / `vocabList` column reads and writes. */
export function vocabularyOf(column: LayoutColumn): Vocabulary<string> {
  const vocab = column.vocabulary ? (vocabularies as Record<string, unknown>)[column.vocabulary] : undefined;
  if (!vocab) throw new LayoutError(`column "${column.label}" has no vocabulary`);
  return vocab as Vocabulary<string>;
}

/**
 * A header label as compared: no spaces or line breaks, half-width brackets, no required-mark
 * asterisk. Ledgers write 乡（镇）, 乡(镇) and "务工时间\n（月）" for the same column.
 */
export function normaliseLabel(text: string): string {
  return text.replace(/\s+/g, '').replace(/（/g, '(').replace(/）/g, ')').replace(/^\*+|\*+$/g, '').replace(/：|:$/g, '');
}

/** Splits a field into its level and path: 'members[].insurance.medical' → member, ['insurance','medical']. */
export function fieldPath(field: string): { level: 'household' | 'member'; path: string[] } {
  if (field.startsWith('members[].')) return { level: 'member', path: field.slice('members[].'.length).split('.') };
  return { level: 'household', path: field.split('.') };
}
