/**
 * The command line's eligibility operations (DESIGN.md "Command line"), wired into src/cli.ts:
 * `evaluate --file households.json|.jsonl --as-of D [--out determinations.jsonl]` and
 * `run --region R --as-of D`. They use the same services as the API, acting as the system actor.
 */
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import readline from 'node:readline';
import type { Writable } from 'node:stream';
import { isRegionCode } from '../regions/region-code';
import { isRealDate } from '../registry/id-number';
import { systemActor } from '../users/actor';
import { evaluateWithFacts } from './evaluate';
import { householdFindings } from './findings';
import { createRun, executeRun, type RunOptions } from './run.service';
import type { RunSummary } from './summary';

export class CliInputError extends Error {}

function checkAsOf(asOf: string): void {
  if (!isRealDate(asOf)) throw new CliInputError(`--as-of must be a date YYYY-MM-DD, got ${asOf}`);
}

async function* householdsIn(file: string): AsyncGenerator<Record<string, unknown>> {
  if (file.endsWith('.jsonl') || file.endsWith('.ndjson')) {
    const lines = readline.createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      try {
        yield JSON.parse(line);
      } catch {
        throw new CliInputError(`${file} line ${n} is not valid JSON`);
      }
    }
    return;
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliInputError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(data) ? data : [data];
  for (const h of list) yield h as Record<string, unknown>;
}

/**
 * Evaluates every household of a .json (one household or a list) or .jsonl file and writes one
 * determination (with its findings) per line to `out`, or to standard output.
 */
export async function evaluateFile(options: { file: string; asOf: string; out?: string }): Promise<{ evaluated: number }> {
  checkAsOf(options.asOf);
  const sink: Writable = options.out ? createWriteStream(options.out, 'utf8') : process.stdout;
  let evaluated = 0;
  for await (const household of householdsIn(options.file)) {
    const { determination, facts } = await evaluateWithFacts(household, options.asOf);
    const line = `${JSON.stringify({ ...determination, findings: householdFindings(household, determination, facts) })}\n`;
    if (!sink.write(line)) await once(sink, 'drain');
    evaluated++;
  }
  if (options.out) {
    sink.end();
    await once(sink, 'finish');
  }
  return { evaluated };
}

/** Runs a region to the end and returns its summary (with POLICY.md's sentence). */
export async function runRegion(options: { regionCode: string; asOf: string; onProgress?: RunOptions['onProgress']; workers?: number }): Promise<RunSummary & { runId: string }> {
  checkAsOf(options.asOf);
  if (!isRegionCode(options.regionCode)) throw new CliInputError(`--region must be a 12-digit division code, got ${options.regionCode}`);
  const { id } = await createRun(systemActor, { regionCode: options.regionCode, asOf: options.asOf });
  const summary = await executeRun(id, { onProgress: options.onProgress, workers: options.workers });
  return { ...summary, runId: id };
}
