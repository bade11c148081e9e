/**
 * A large region's run is shared between worker threads village by village, each worker reading
 * and storing its villages itself (run.service.ts `runInWorkers`); a small one runs in this
 * thread from one cursor (`runHere`). Both must store the same result for every household.
 */
import { expect } from 'chai';
import { findingContext, storedDetermination, storedFindings } from '../../src/eligibility/determination.codec';
import { EvaluationPool } from '../../src/eligibility/evaluation.pool';
import { currentRules } from '../../src/eligibility/ruleset.loader';
import { createRun, executeRun } from '../../src/eligibility/run.service';
import { ResultModel, RunModel } from '../../src/eligibility/run.model';
import { createHousehold } from '../../src/registry/household.service';
import type { Actor } from '../../src/users/actor';
import { systemActor } from '../../src/users/actor';
import { buildHousehold, buildMember } from '../helpers/builders';
import { resetDatabase } from '../helpers/db';

const VILLAGES = ['421122001001', '421122001002', '421122002001'];
const OTHER_COUNTY_VILLAGE = '421123001001';

async function storedResults(runId: string) {
  const runDoc = await RunModel.findById(runId).lean<any>();
  const docs = await ResultModel.find({ runId }).sort({ householdCode: 1 }).lean<any[]>();
  return docs.map((d) => ({
    householdCode: d.householdCode, regionCode: d.regionCode, inPolicy: d.inPolicy, categories: d.categories, findingTypes: d.findingTypes,
    determination: storedDetermination(d.determination), findings: storedFindings(d.findings, findingContext(d, runDoc)),
  }));
}

async function run(actor: Actor, regionCode: string, workers: number) {
  const { id } = await createRun(actor, { regionCode, asOf: '2024-06-30' });
  const summary = await executeRun(id, { workers });
  const doc = await RunModel.findById(id).lean<any>();
  return { id, summary, workers: doc.workers, results: await storedResults(id) };
}

describe('a run in worker threads', function () {
  this.timeout(60_000);

  before(async () => {
    await resetDatabase();
    const households = [
      ...VILLAGES.flatMap((regionCode) => [
        buildHousehold({ regionCode, dibao: true }),
        buildHousehold({ regionCode }),
        buildHousehold({ regionCode, status: 'none' }),
        buildHousehold({ regionCode, members: [buildMember({ disability: { category: 'physical', grade: 2 } }), buildMember({ relation: 'son', schooling: 'junior' })] }),
      ]),
      buildHousehold({ regionCode: OTHER_COUNTY_VILLAGE, dibao: true }),
    ];
    for (const h of households) await createHousehold(systemActor, h);
  });

  it('stores, household by household, what a run in this thread stores', async () => {
    const here = await run(systemActor, '421122000000', 0);
    const threaded = await run(systemActor, '421122000000', 2);
    expect(here.workers).to.equal(0);
    expect(threaded.workers).to.equal(2);
    expect(threaded.results).to.have.length(12);
    expect(threaded.results).to.deep.equal(here.results);
    expect(threaded.summary).to.deep.equal(here.summary);
    expect(threaded.results.map((r) => r.regionCode)).to.not.include(OTHER_COUNTY_VILLAGE);
  });

  it("reads only the villages of the run's region", async () => {
    const auditor: Actor = { userId: 'u1', username: 'auditor', role: 'auditor', regionCodes: ['421122000000'] };
    const threaded = await run(auditor, '421122001000', 2);
    expect([...new Set(threaded.results.map((r) => r.regionCode))]).to.deep.equal(VILLAGES.slice(0, 2));
    expect(threaded.summary.evaluated).to.equal(8);
  });

  it('fails a village, with the reason, when its worker cannot reach the database', async () => {
    const pool = await EvaluationPool.start(1, currentRules(), { databaseUri: 'mongodb://127.0.0.1:1/nothing' });
    try {
      const village = { runId: '0123456789abcdef01234567', village: VILLAGES[0], regionPrefix: '421122', actor: systemActor };
      const err = await pool.runVillage('2024-06-30', village).then(() => expect.fail('stored a village without a database'), (e: Error) => e);
      expect(err.message).to.match(/ECONNREFUSED|connect/);
    } finally {
      await pool.close();
    }
  });
});
