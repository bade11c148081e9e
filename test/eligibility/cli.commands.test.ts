import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliInputError, evaluateFile, runRegion } from '../../src/eligibility/cli.commands';
import { RunModel } from '../../src/eligibility/run.model';
import { failInterruptedRuns } from '../../src/eligibility/run.service';
import { createHousehold } from '../../src/registry/household.service';
import { systemActor } from '../../src/users/actor';
import { buildHousehold as buildHouseholdIn } from '../helpers/builders';
import { resetDatabase } from '../helpers/db';

/** The example county of rules/counties/981122, whose own rule set and 低保 line these tests exercise. */
const VILLAGE = '981122001001';
const buildHousehold = (overrides: Parameters<typeof buildHouseholdIn>[0] = {}) => buildHouseholdIn({ regionCode: VILLAGE, ...overrides });

describe('eligibility command line', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'fupin-cli-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('evaluates a .jsonl household file into one determination per line', async () => {
    const file = path.join(dir, 'households.jsonl');
    const out = path.join(dir, 'determinations.jsonl');
    writeFileSync(file, [buildHousehold({ dibao: true }), buildHousehold({ status: 'exited' })].map((h) => JSON.stringify(h)).join('\n'));
    expect(await evaluateFile({ file, asOf: '2024-06-30', out })).to.deep.equal({ evaluated: 2 });
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((d) => d.categories[0].status)).to.deep.equal(['eligible', 'not-eligible']);
    expect(lines[0]).to.have.property('findings');
  });

  it('evaluates a .json list the same way', async () => {
    const file = path.join(dir, 'households.json');
    const out = path.join(dir, 'out.jsonl');
    writeFileSync(file, JSON.stringify([buildHousehold()]));
    expect(await evaluateFile({ file, asOf: '2024-06-30', out })).to.deep.equal({ evaluated: 1 });
  });

  it('refuses a bad date or a bad file with a one-line reason', async () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, '[{');
    await evaluateFile({ file, asOf: '2024-06-30' }).then(() => expect.fail('accepted'), (err) => expect(err).to.be.instanceOf(CliInputError));
    await evaluateFile({ file, asOf: '2024-13-01' }).then(() => expect.fail('accepted'), (err) => expect(err.message).to.contain('--as-of'));
  });

  it('runs a region and returns the summary with its sentence, in worker threads too', async function () {
    this.timeout(60_000);
    await resetDatabase();
    for (const h of [buildHousehold({ dibao: true }), buildHousehold(), buildHousehold({ status: 'none' })]) await createHousehold(systemActor, h);
    const progress: number[] = [];
    const inline = await runRegion({ regionCode: '981122000000', asOf: '2024-06-30', workers: 0, onProgress: (p) => progress.push(p.done) });
    expect(inline.households).to.equal(2);
    // Members born around 1950 are past working age, and 7950 < 8100 (the county's 低保 line).
    expect(inline.sentence).to.match(/^享受政策的贫困户共2户4人，其中享受兜底保障2户4人，/);
    expect(progress[progress.length - 1]).to.equal(3);
    const threaded = await runRegion({ regionCode: '981122000000', asOf: '2024-06-30', workers: 2 });
    const { runId: _a, ...a } = inline;
    const { runId: _b, ...b } = threaded;
    expect(b).to.deep.equal(a);
  });
});

describe('interrupted runs', () => {
  it('are marked failed at start-up instead of showing running forever', async () => {
    const run = await RunModel.create({ status: 'running', regionCode: '981122000000', asOf: '2024-06-30', ruleSet: { id: 'default', version: 'x', hash: 'y' } });
    expect(await failInterruptedRuns()).to.be.at.least(1);
    const after = await RunModel.findById(run._id).lean<any>();
    expect(after.status).to.equal('failed');
    expect(after.error).to.contain('interrupted');
  });
});
