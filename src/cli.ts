/**
 * `npm run cli -- <command> …`: the same services as the API, for batch work and scripts
 * (DESIGN.md "Command line"). Every command works against MONGODB_URI or the embedded engine on
 * DATA_DIR, like the server, acts as the system actor, and exits non-zero with a one-line reason
 * on bad input.
 */
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { config } from './config';
import { connect, type DatabaseConnection } from './db/connect';
import { evaluateFile, runRegion } from './eligibility/cli.commands';
import { loadRuleSets } from './eligibility/ruleset.loader';
import { describeJob, importFile, progressBar } from './ledger/import/import.cli';
import { importLimits } from './ledger/import/import.service';
import { readRegionRows } from './ledger/import/region-file';
import { exportLedger } from './ledger/export/export.cli';
import { loadRegionsFromRows } from './regions/region.service';
import { roles, systemActor, type Role } from './users/actor';
import { createUser } from './users/user.service';
import { randomBytes } from 'node:crypto';

const USAGE = `usage: npm run cli -- <command> [options]
  evaluate --file households.json|.jsonl --as-of YYYY-MM-DD [--out determinations.jsonl]
  import   --file ledger.xlsx --layout national-member-detail [--dry-run]
  run      --region 421122000000 --as-of YYYY-MM-DD
  export   --region 421122000000 [--layout national-member-detail] [--as-of YYYY-MM-DD] --out ledger.xlsx|.csv
  regions  --file regions.csv|regions.xlsx
  user add --username NAME --role admin|county|village|auditor --region CODE [--region CODE …] [--password P]`;

class UsageError extends Error {}

type Options = Record<string, string | boolean | string[] | undefined>;

function required(options: Options, name: string): string {
  const value = options[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** Commands that touch the database get it opened before and closed after, whatever happens. */
async function withDatabase<T>(work: () => Promise<T>): Promise<T> {
  let db: DatabaseConnection | undefined;
  try {
    db = await connect({ mongodbUri: config.mongodbUri, dataDir: config.dataDir, documentCacheBytes: config.engineCacheMb * 1024 ** 2 });
    await Promise.all(mongoose.modelNames().map((name) => mongoose.model(name).init()));
    return await work();
  } finally {
    await db?.close();
  }
}

const commands: Record<string, (options: Options, rest: string[]) => Promise<void>> = {
  async evaluate(options) {
    const { evaluated } = await evaluateFile({ file: required(options, 'file'), asOf: required(options, 'as-of'), out: options.out as string | undefined });
    process.stderr.write(`evaluated ${evaluated} household(s)\n`);
  },

  async import(options) {
    const file = required(options, 'file');
    const layout = required(options, 'layout');
    await withDatabase(async () => {
      const bar = progressBar();
      try {
        const job = await importFile({ file, layout, dryRun: options['dry-run'] === true, onProgress: bar.onProgress });
        bar.stop();
        process.stdout.write(`${describeJob(job)}\n`);
        if (job.errors.length > 0) process.exitCode = 2;
      } finally {
        bar.stop();
      }
    });
  },

  async run(options) {
    const regionCode = required(options, 'region');
    const asOf = required(options, 'as-of');
    await withDatabase(async () => {
      const summary = await runRegion({
        regionCode, asOf,
        onProgress: ({ done, total }) => process.stderr.write(`\r${done}/${total} households`),
      });
      process.stderr.write('\n');
      process.stdout.write(`run ${summary.runId}: ${summary.households} households, ${summary.persons} persons in policy\n${summary.sentence}\n`);
    });
  },

  async export(options) {
    const out = required(options, 'out');
    await withDatabase(async () => {
      const outcome = await exportLedger({ regionCode: required(options, 'region'), layout: options.layout as string | undefined, asOf: options['as-of'] as string | undefined, out });
      process.stdout.write(`${out}: ${outcome.rows} rows\n`);
    });
  },

  async regions(options) {
    const file = required(options, 'file');
    await withDatabase(async () => {
      const rows = await readRegionRows(file, importLimits());
      const { count, errors } = await loadRegionsFromRows(rows, systemActor);
      for (const e of errors) process.stderr.write(`row ${e.row}: ${e.message}\n`);
      process.stdout.write(`${count} region(s) loaded, ${errors.length} row(s) refused\n`);
      if (errors.length > 0) process.exitCode = 2;
    });
  },

  async user(options, rest) {
    if (rest[0] !== 'add') throw new UsageError('user: the only subcommand is "add"');
    const role = required(options, 'role');
    if (!(roles as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${roles.join(', ')}`);
    const regionCodes = ([] as string[]).concat((options.region as string[] | undefined) ?? []);
    if (regionCodes.length === 0) throw new UsageError('--region is required (repeat it for several regions)');
    const generated = typeof options.password !== 'string';
    const password = generated ? randomBytes(12).toString('base64url') : (options.password as string);
    await withDatabase(async () => {
      const user = await createUser(systemActor, { username: required(options, 'username'), password, role: role as Role, regionCodes });
      process.stdout.write(`user ${user.username} (${user.role}, ${user.regionCodes.join(' ')}) created${generated ? `; password: ${password}` : ''}\n`);
    });
  },
};

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      file: { type: 'string' }, out: { type: 'string' }, 'as-of': { type: 'string' }, layout: { type: 'string' },
      'dry-run': { type: 'boolean' }, region: { type: 'string', multiple: true }, username: { type: 'string' },
      role: { type: 'string' }, password: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  const [name, ...rest] = positionals;
  if (values.help || !name) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}"`);
  // `--region` repeats for `user add`; every other command takes one.
  const options: Options = { ...values, region: name === 'user' ? values.region : values.region?.at(-1) };
  // A bad rule or parameter file refuses every command, as it refuses the server's start.
  loadRuleSets(config.rulesDir);
  await command(options, rest);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`fupin-registry: ${message.split('\n')[0]}\n`);
    if (err instanceof UsageError) process.stderr.write(`${USAGE}\n`);
    process.exit(1);
  });
}

export { main as runCli };
