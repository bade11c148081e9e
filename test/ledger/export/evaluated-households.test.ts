import { expect } from 'chai';
import { forEachEvaluated } from '../../../src/ledger/export/evaluated-households';
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
});
