/**
 * `npm run cli -- import --file ledger.xlsx --layout national-member-detail [--dry-run]`
 * (DESIGN.md "Command line"): the same import job as POST /imports, with a progress bar.
 * src/cli.ts parses the arguments and connects the database; this module does the work.
 */
import fs from 'node:fs';
import cliProgress from 'cli-progress';
import { AppError } from '../../http/errors';
import type { Actor } from '../../users/actor';
import { systemActor } from '../../users/actor';
import { startImport, type ImportJobView, type ImportLimits, type ImportProgress } from './import.service';

export interface ImportFileArgs {
  file: string;
  layout: string;
  dryRun?: boolean;
  actor?: Actor;
  limits?: Partial<ImportLimits>;
  onProgress?: (progress: ImportProgress) => void;
}

export class ImportFileError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/**
 * Imports one ledger file and resolves with the finished job. A refused file (not an .xlsx, a
 * zip bomb, no header …) rejects with ImportFileError carrying the code, so the CLI can print one
 * line and exit non-zero.
 */
export async function importFile(args: ImportFileArgs): Promise<ImportJobView> {
  if (!fs.existsSync(args.file) || !fs.statSync(args.file).isFile()) throw new ImportFileError('FILE_NOT_FOUND', `no such file: ${args.file}`);
  let started;
  try {
    started = await startImport({
      file: args.file, layout: args.layout, dryRun: args.dryRun ?? false, actor: args.actor ?? systemActor,
      fileName: args.file.split(/[\\/]/).pop() ?? null, limits: args.limits, onProgress: args.onProgress,
    });
  } catch (err) {
    if (err instanceof AppError) throw new ImportFileError(err.code, err.message);
    throw err;
  }
  const job = await started.done;
  if (job.status === 'failed' && job.failure) throw new ImportFileError(job.failure.code, job.failure.message);
  return job;
}

/** A progress bar on stderr for `onProgress`; call `stop()` when the import ends. */
export function progressBar(stream: NodeJS.WritableStream = process.stderr): { onProgress: (p: ImportProgress) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar({
    stream,
    format: '导入 import |{bar}| {value}/{total} rows · {households} households · {eta_formatted}',
    hideCursor: true,
    noTTYOutput: false,
    etaBuffer: 50,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    onProgress(p) {
      const total = Math.max(p.totalRows ?? p.rows, p.rows);
      if (!started) {
        bar.start(total, p.rows, { households: p.households });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(p.rows, { households: p.households });
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** One line for the terminal. */
export function describeJob(job: ImportJobView): string {
  const what = job.dryRun ? 'dry run (nothing written)' : 'imported';
  return `${what}: ${job.rows} rows, ${job.imported.households} households (${job.created} new, ${job.updated} updated), ${job.imported.members} members, ${job.unchanged} unchanged, ${job.failed} households refused, ${job.errorCount} errors`;
}
