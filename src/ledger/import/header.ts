/**
 * Finds a ledger's header by its labels, not by a row number (issue 6): a title row
 * (「××县建档立卡贫困户台账」) and a 填报单位 row above it are passed over, and a two-level header
 * (a merged 防返贫监测 over 监测对象类型 …, with 序号 merged down both rows) is read as a person
 * reads it. The streaming reader does not see merges, so a merged cell shows its value in its
 * first cell only: an upper cell with text and an empty cell below is a one-level column; an
 * upper cell followed by empty upper cells over lower labels is a group.
 */
import { normaliseLabel, type Layout, type LayoutColumn } from '../layout';
import { cellText, type PlainCell } from './cell-value';

export interface HeaderMatch {
  /** Sheet row number of the last header row; data starts below it. */
  lastHeaderRow: number;
  headerRows: 1 | 2;
  /** 1-based sheet column → the layout column it fills. */
  columns: Map<number, LayoutColumn>;
  /** 1-based sheet column → the (lower) header label as written, for the error workbook. */
  headerTexts: string[];
  /** Required layout columns the header lacks. */
  missing: LayoutColumn[];
}

interface Candidate {
  leaf: string;
  group: string | null;
  text: string;
}

function candidates(upper: PlainCell[], lower: PlainCell[] | null): Candidate[] {
  const width = Math.max(upper.length, lower?.length ?? 0);
  const out: Candidate[] = [];
  let carried: string | null = null;
  for (let c = 1; c < width; c++) {
    const up = normaliseLabel(cellText(upper[c] ?? null));
    const low = lower ? normaliseLabel(cellText(lower[c] ?? null)) : '';
    if (!lower) {
      out[c] = { leaf: up, group: null, text: cellText(upper[c] ?? null) };
      continue;
    }
    if (up !== '' && low !== '') carried = up;
    else if (up !== '' && low === '') carried = null;
    const leaf = low !== '' ? low : up;
    const group = low !== '' ? carried : null;
    out[c] = { leaf, group, text: cellText((low !== '' ? lower[c] : upper[c]) ?? null) };
  }
  return out;
}

const labelCache = new WeakMap<LayoutColumn, { labels: string[]; label: string; group: string; flattened: string[] }>();

/** A column's labels, normalised once. */
function labelsOf(column: LayoutColumn): string[] {
  return normalised(column).labels;
}

function normalised(column: LayoutColumn) {
  let entry = labelCache.get(column);
  if (!entry) {
    const labels = [column.label, ...column.aliases].map(normaliseLabel);
    const group = normaliseLabel(column.group ?? '');
    entry = { labels, label: normaliseLabel(column.label), group, flattened: column.group ? labels.map((l) => group + l) : [] };
    labelCache.set(column, entry);
  }
  return entry;
}

function match(layout: Layout, cands: Candidate[]): Map<number, LayoutColumn> {
  const result = new Map<number, LayoutColumn>();
  const used = new Set<LayoutColumn>();
  for (let c = 1; c < cands.length; c++) {
    const cand = cands[c];
    if (!cand || cand.leaf === '') continue;
    const byLabel = layout.columns.filter((col) => !used.has(col) && (labelsOf(col).includes(cand.leaf)
      // A flattened two-level header writes the group into the label: 防返贫监测识别时间.
      || normalised(col).flattened.includes(cand.leaf)));
    if (byLabel.length === 0) continue;
    // Where a label repeats (识别时间 of the household and of the monitoring), the group decides;
    // the layout's own label beats an alias.
    const exactGroup = byLabel.filter((col) => cand.group !== null && normalised(col).group === cand.group);
    const pool = exactGroup.length ? exactGroup : byLabel;
    const chosen = pool.find((col) => normalised(col).label === cand.leaf) ?? pool[0];
    result.set(c, chosen);
    used.add(chosen);
  }
  return result;
}

/**
 * Looks for the header among the first rows read (`rows[i]` is sheet row `rowNumbers[i]`, cells
 * 1-based). Picks the row (or pair of rows) that matches the most layout columns; null when no
 * row matches at least three columns.
 */
export function findHeader(layout: Layout, rows: PlainCell[][], rowNumbers: number[]): HeaderMatch | null {
  let best: HeaderMatch | null = null;
  let bestScore = 2;
  let bestGroupHits = 0;
  for (let i = 0; i < rows.length; i++) {
    const tries: { cands: Candidate[]; headerRows: 1 | 2; last: number }[] = [{ cands: candidates(rows[i], null), headerRows: 1, last: rowNumbers[i] }];
    if (i + 1 < rows.length && rowNumbers[i + 1] === rowNumbers[i] + 1) {
      tries.push({ cands: candidates(rows[i], rows[i + 1]), headerRows: 2, last: rowNumbers[i + 1] });
    }
    for (const t of tries) {
      const columns = match(layout, t.cands);
      const score = columns.size;
      // Ties (a 填报单位 row over a one-level header matches as much as the header alone) go to
      // the reading whose groups agree with the layout's, then to the one with fewer rows.
      let groupHits = 0;
      for (const [c, col] of columns) if (col.group && t.cands[c]?.group === normalised(col).group) groupHits++;
      const better = score > bestScore || (best !== null && score === bestScore && t.last === best.lastHeaderRow
        && (groupHits > bestGroupHits || (groupHits === bestGroupHits && t.headerRows < best.headerRows)));
      if (better) {
        bestScore = score;
        bestGroupHits = groupHits;
        const found = new Set(columns.values());
        best = {
          lastHeaderRow: t.last,
          headerRows: t.headerRows,
          columns,
          headerTexts: t.cands.map((c) => c?.text ?? ''),
          missing: layout.columns.filter((col) => col.required && !found.has(col)),
        };
      }
    }
  }
  return best;
}
