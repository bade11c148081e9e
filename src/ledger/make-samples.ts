/**
 * `npm run samples`: writes imports/samples/ from the synthetic county (issue 6): a county ledger
 * in the national-member-detail layout (a few hundred households), its region list as CSV, and
 * one blank template per layout. The files are small and committed; the script makes them again
 * identically in content (the county is seeded).
 *
 * `writeCountyLedger` is also what the benchmarks and the tests use to make a county-sized file:
 * it writes through the export's own row mapper and workbook writer, so the sample is exactly
 * what our export produces.
 */
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { listLayouts, loadLayout } from './layout';
import { compileColumns, householdRows, type RowContext } from './export/row.mapper';
import { LedgerWorkbookWriter } from './export/ledger-workbook.writer';
import { generateCounty, perCapitaNetIncome, type SyntheticCounty } from './synthetic-county';
import type { Household } from '../registry/household.types';

export const samplesDir = path.resolve(__dirname, '../../imports/samples');

export interface LedgerFileOptions {
  layout: string;
  /** Households to write; none for a blank template. */
  households?: Iterable<Household>;
  villages: SyntheticCounty['villages'];
  countyName: string;
  date?: string;
  /** Called after each household, for progress. */
  onHousehold?: (rows: number) => void;
}

/** Writes a ledger workbook to `out` (a file stream): title, 填报单位 row, header, rows. */
export async function writeCountyLedger(out: Writable, options: LedgerFileOptions): Promise<{ rows: number; households: number }> {
  const layout = loadLayout(options.layout);
  const columns = compileColumns(layout.columns);
  const places = new Map(options.villages.map((v) => [v.code, { county: v.county, township: v.township, village: v.name }]));
  const ctx: RowContext = { reveal: true, places: (code) => places.get(code) ?? { county: null, township: null, village: null } };
  const date = options.date ?? '2024-06-30';
  const [y, m, d] = date.split('-').map(Number);
  const writer = new LedgerWorkbookWriter(out, {
    sheetName: layout.sheet,
    title: `${options.countyName}${y}年${layout.title}`,
    unit: `填报单位：${options.countyName}乡村振兴局`,
    date: `${y}年${m}月${d}日`,
    headerRows: layout.headerRows,
    columns,
  });
  let seq = 1;
  let households = 0;
  const nationalLike = layout.id !== 'full-template';
  for (const h of options.households ?? []) {
    // The national ledgers print 人均纯收入; the full template keeps the income parts instead.
    const household = nationalLike ? { ...h, perCapitaNetIncome: perCapitaNetIncome(h) } : h;
    const rows = householdRows(household, columns, ctx, seq, true);
    writer.addRows(rows);
    seq += rows.length;
    households++;
    options.onHousehold?.(seq - 1);
  }
  const finished = once(out, 'finish');
  await writer.commit();
  await finished;
  return { rows: seq - 1, households };
}

/** code,name lines, parents first. */
export function regionsCsv(county: SyntheticCounty): string {
  return `code,name\n${county.regions.map((r) => `${r.code},${r.name}`).join('\n')}\n`;
}

export const SAMPLE = { households: 300, seed: 2024 } as const;

export async function makeSamples(dir = samplesDir): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const county = generateCounty(SAMPLE);
  const countyName = county.regions[2].name;
  const written: string[] = [];
  fs.writeFileSync(path.join(dir, 'regions.csv'), regionsCsv(county));
  written.push('regions.csv');
  const ledger = 'county-ledger.national-member-detail.xlsx';
  await writeCountyLedger(fs.createWriteStream(path.join(dir, ledger)), { layout: 'national-member-detail', households: county.households(), villages: county.villages, countyName });
  written.push(ledger);
  for (const id of listLayouts()) {
    const name = `template.${id}.xlsx`;
    await writeCountyLedger(fs.createWriteStream(path.join(dir, name)), { layout: id, villages: county.villages, countyName });
    written.push(name);
  }
  return written;
}

if (require.main === module) {
  makeSamples().then((files) => {
    process.stdout.write(`wrote ${files.map((f) => `imports/samples/${f}`).join(', ')}\n`);
  }).catch((err: unknown) => {
    process.stderr.write(`samples: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
