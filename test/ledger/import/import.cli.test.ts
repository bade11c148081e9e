import { expect } from 'chai';
import { HouseholdModel } from '../../../src/registry/household.model';
import { ImportFileError, describeJob, importFile, progressBar } from '../../../src/ledger/import/import.cli';
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
});
