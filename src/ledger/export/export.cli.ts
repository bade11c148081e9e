/**
 * `npm run cli -- export --region 421122000000 --layout national-member-detail --out ledger.xlsx`
 * (DESIGN.md "Command line"): the same export service as the API, written to a file. A `.csv`
 * out file gets the CSV ledger. The caller (src/cli.ts) turns a thrown error into its one-line
 * reason and a non-zero exit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { systemActor, type Actor } from '../../users/actor';
import type { HouseholdStatus, SupportCategory } from '../../registry/vocabulary';
import { exportLedger as exportLedgerTo, type ExportOutcome } from './export.service';

export interface ExportLedgerArgs {
  regionCode: string;
  layout?: string;
  /** The file to write (.xlsx, or .csv for CSV). */
  out: string;
  actor?: Actor;
  asOf?: string;
  status?: HouseholdStatus;
  category?: SupportCategory;
}

export async function exportLedger(args: ExportLedgerArgs): Promise<ExportOutcome> {
  const format = path.extname(args.out).toLowerCase() === '.csv' ? 'csv' : 'xlsx';
  // Written beside the target and renamed at the end, so a failed export leaves no half file.
  const partial = `${args.out}.partial`;
  const pass = new PassThrough();
  const written = pipeline(pass, fs.createWriteStream(partial));
  try {
    const outcome = await exportLedgerTo(
      args.actor ?? systemActor,
      { regionCode: args.regionCode, layout: args.layout, asOf: args.asOf, status: args.status, category: args.category },
      format,
      pass,
    );
    await written;
    fs.renameSync(partial, args.out);
    return outcome;
  } catch (err) {
    pass.destroy();
    await written.catch(() => undefined);
    fs.rmSync(partial, { force: true });
    throw err;
  }
}
