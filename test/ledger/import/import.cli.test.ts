import { expect } from 'chai';
import { AuditModel } from '../../../src/audit/audit.model';
import { HouseholdModel } from '../../../src/registry/household.model';
import { ImportFileError, describeJob, importFile, progressBar } from '../../../src/ledger/import/import.cli';
import { importTuning } from '../../../src/ledger/import/import.service';
import type { Household } from '../../../src/registry/household.types';
import { resetDatabase } from '../../helpers/db';
import { handmadeFile, householdsOf, layoutFile, loadCountyRegions, removeTmpFiles, testCounty } from './ledger-fixtures';
import type { SyntheticCounty } from '../../../src/ledger/synthetic-county';
import { Writable } from 'node:stream';

describe('CLI import (npm run cli -- import)', () => {
  let county: SyntheticCounty;
  before(() => {
    county = testCounty(12);
  });
  after(() => {
    removeTmpFiles();
  });
  afterEach(() => {
    Object.assign(importTuning, { batch: 500, workers: null });
  });
  beforeEach(async () => {
    await resetDatabase();
    await loadCountyRegions(county);
  });

  it('imports a ledger file with progress, and a dry run of it writes nothing', async () => {
    const households = householdsOf(county, 6);
    const file = await layoutFile('national-member-detail', households, county);
    const dry = await importFile({ file, layout: 'national-member-detail', dryRun: true });
    expect(dry.created).to.equal(6);
    expect(await HouseholdModel.countDocuments({})).to.equal(0);

    // Not a terminal: the bar stays quiet, but it must take every progress report without failing.
    const sink = new Writable({ write(_chunk, _e, done) { done(); } });
    const bar = progressBar(sink as unknown as NodeJS.WritableStream);
    const progress: number[] = [];
    const job = await importFile({ file, layout: 'national-member-detail', onProgress: (p) => { progress.push(p.rows); bar.onProgress(p); } });
    bar.stop();
    expect(job.status).to.equal('done');
    expect(job.created).to.equal(6);
    expect(progress.at(-1)).to.equal(households.reduce((n, h) => n + h.members.length, 0));
    expect(describeJob(job)).to.match(/6 households \(6 new/);
    expect(await HouseholdModel.countDocuments({})).to.equal(6);
  });

  it('rejects with a code for a missing file, an unknown layout and a file without the header', async () => {
    const codeOf = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        expect(err).to.be.instanceOf(ImportFileError);
        return (err as ImportFileError).code;
      }
      throw new Error('expected a rejection');
    };
    expect(await codeOf(importFile({ file: 'no/such/file.xlsx', layout: 'national-member-detail' }))).to.equal('FILE_NOT_FOUND');
    const file = await layoutFile('national-member-detail', householdsOf(county, 1), county);
    expect(await codeOf(importFile({ file, layout: 'nope' }))).to.equal('IMPORT_LAYOUT_UNKNOWN');
    const other = await handmadeFile({ header: ['名称'], rows: [['x']] });
    expect(await codeOf(importFile({ file: other, layout: 'national-member-detail' }))).to.equal('IMPORT_HEADER_NOT_FOUND');
  });

  /*
   * A county-sized file goes through small batches, each validated in a worker thread while the
   * batch before it is written. It must come out exactly as one batch validated in this thread:
   * CASE 1: a bad ID number check digit (the Joi rules, run in the worker) refuses its household;
   * CASE 2: a person listed again in a later batch is refused there (checks stay in file order);
   * CASE 3: the job's counts, errors, rows and stored households are the same.
   */
  it('imports a file in small batches validated in a worker thread exactly as in one batch here', async () => {
    const households = householdsOf(county, 12);
    const badId = households[2].members[0].idNumber;
    const wrongDigit = `${badId.slice(0, 17)}${badId[17] === '1' ? '2' : '1'}`;
    const bad: Household = { ...households[2], members: households[2].members.map((m, i) => (i === 0 ? { ...m, idNumber: wrongDigit } : m)) };
    const again: Household = { ...households[9], members: [...households[9].members, { ...households[1].members[0], relation: 'other' }] };
    const file = await layoutFile('national-member-detail', households.map((h, i) => (i === 2 ? bad : i === 9 ? again : h)), county);

    const runWith = async (tuning: { batch: number; workers: number }) => {
      await resetDatabase();
      await loadCountyRegions(county);
      Object.assign(importTuning, tuning);
      const job = await importFile({ file, layout: 'national-member-detail' });
      const stored = (await HouseholdModel.find({}, { code: 1, 'members.idNumber': 1, _id: 0 }).sort({ code: 1 }).lean()) as unknown[];
      return { job: { ...job, id: null, startedAt: null, finishedAt: null }, stored, trail: await AuditModel.countDocuments({ action: 'household.create' }) };
    };
    const here = await runWith({ batch: 500, workers: 0 });
    const pooled = await runWith({ batch: 3, workers: 1 });
    expect(here.job.errors.map((e) => e.code)).to.deep.equal(['INVALID_VALUE', 'PERSON_IN_OTHER_HOUSEHOLD']);
    expect(here.job).to.include({ created: 10, failed: 2 });
    expect(pooled).to.deep.equal(here);
  });
});
