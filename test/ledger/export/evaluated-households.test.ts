import { expect } from 'chai';
import { evaluateHousehold } from '../../../src/eligibility/evaluate';
import { forEachCounted, forEachEvaluated } from '../../../src/ledger/export/evaluated-households';
import { summaryBuilderFor } from '../../../src/ledger/export/eligibility.port';
import { generateCounty } from '../../../src/ledger/synthetic-county';
import { HouseholdModel } from '../../../src/registry/household.model';
import { systemActor } from '../../../src/users/actor';
import { resetDatabase } from '../../helpers/db';
import { AS_OF, COUNTY, loadFixture } from './fixture';

describe('forEachEvaluated', () => {
  before(async () => {
    await resetDatabase();
    await loadFixture();
  });

  async function collect(options: { workers: number; inline?: number; signal?: AbortSignal }): Promise<{ finished: boolean; seen: string[] }> {
    const seen: string[] = [];
    const finished = await forEachEvaluated({ actor: systemActor, region: COUNTY, asOf: AS_OF, ...options }, (h, d) => {
      expect(d.householdCode).to.equal(h.code);
      seen.push(`${h.code}:${d.categories.filter((c) => c.status === 'eligible').map((c) => c.id).join(',')}`);
    });
    return { finished, seen };
  }

  it('gives the same determinations, in code order, from a worker thread as in this thread', async function () {
    this.timeout(30_000);
    const here = await collect({ workers: 0 });
    const worker = await collect({ workers: 1, inline: 0 });
    expect(here.finished).to.equal(true);
    expect(worker).to.deep.equal(here);
    expect(here.seen).to.have.length(4);
    expect(here.seen.map((s) => s.split(':')[0])).to.deep.equal([...here.seen.map((s) => s.split(':')[0])].sort());
  });

  it('keeps code order and one worker pool across many batches in flight', async function () {
    this.timeout(60_000);
    const county = generateCounty({ households: 240, seed: 7 });
    const docs = [...county.households()].map((h) => ({ ...h, members: h.members.map((m) => ({ ...m, personId: m.idNumber.slice(0, 18) })) }));
    await HouseholdModel.insertMany(docs, { lean: true });
    const run = async (workers: number, inline?: number) => {
      const seen: string[] = [];
      await forEachEvaluated({ actor: systemActor, region: '421199000000', asOf: AS_OF, workers, inline }, (h, d) => {
        seen.push(`${h.code}:${d.householdCode}:${d.categories.filter((c) => c.status === 'eligible').map((c) => c.id).join(',')}`);
      });
      return seen;
    };
    const here = await run(0);
    expect(here).to.have.length(240);
    // Households one at a time, nothing else in flight: the reference answers.
    const reference: string[] = [];
    for (const h of docs) {
      const d = await evaluateHousehold(h, AS_OF);
      reference.push(`${h.code}:${d.householdCode}:${d.categories.filter((c) => c.status === 'eligible').map((c) => c.id).join(',')}`);
    }
    expect(here).to.deep.equal(reference);
    // A batch evaluated here after an earlier one started must not share the Engine's run state.
    expect(await run(1, 0)).to.deep.equal(here);
    expect(await run(1, 60)).to.deep.equal(here);
  });

  it('stops when the signal fires and says so', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const finished = await forEachEvaluated({ actor: systemActor, region: COUNTY, asOf: AS_OF, workers: 0, signal: controller.signal }, (h) => {
      seen.push(h.code);
      controller.abort();
    });
    expect(finished).to.equal(false);
    expect(seen.length).to.be.lessThan(4);
  });

  it('counts for the 汇总 sheet from workers as from determinations here, with and without a category filter', async function () {
    this.timeout(60_000);
    // The county of 240 households the previous case loaded.
    const region = '421199000000';
    for (const category of [null, 'education']) {
      // The reference: every determination here, filtered and counted one by one.
      const reference = summaryBuilderFor(region, AS_OF);
      const kept: string[] = [];
      await forEachEvaluated({ actor: systemActor, region, asOf: AS_OF, workers: 0 }, (h, d) => {
        if (category && !d.categories.some((c) => c.id === category && c.status === 'eligible')) return;
        reference.add(d);
        kept.push(h.code);
      });
      for (const [workers, inline] of [[0, undefined], [1, 0], [1, 60]] as const) {
        const summary = summaryBuilderFor(region, AS_OF);
        const seen: string[] = [];
        const finished = await forEachCounted({ actor: systemActor, region, asOf: AS_OF, workers, inline }, { summary, category }, (h) => {
          seen.push(h.code);
        });
        expect(finished).to.equal(true);
        expect(seen).to.deep.equal(kept);
        expect(summary.result()).to.deep.equal(reference.result());
      }
      expect(kept.length).to.be.greaterThan(category ? 10 : 200);
    }
  });
});
