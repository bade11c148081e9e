/**
 * A run's worker threads are background work: each lowers its own scheduling priority, so the
 * thread serving the API and the embedded database runs first (evaluate.worker.ts
 * `lowerThisThreadsPriority`).
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import { EvaluationPool } from '../../src/eligibility/evaluation.pool';
import { WORKER_NICENESS } from '../../src/eligibility/evaluate.worker';
import { currentRules } from '../../src/eligibility/ruleset.loader';

/** This process's threads by id, with their niceness (Linux: /proc/self/task). */
function threadNiceness(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) out.set(Number(tid), os.getPriority(Number(tid)));
  return out;
}

describe('evaluation workers', function () {
  this.timeout(30_000);

  it('run at a lower priority than the thread that started them, which keeps its own', async function () {
    if (process.platform !== 'linux') this.skip();
    const own = os.getPriority(Number(fs.readlinkSync('/proc/thread-self').split('/').pop()));
    const before = threadNiceness();
    const pool = await EvaluationPool.start(2, currentRules());
    try {
      // A worker lowers its priority as it starts; one evaluation makes sure both have.
      await Promise.all([pool.evaluate('2024-06-30', []), pool.evaluate('2024-06-30', [])]);
      const lowered = [...threadNiceness()].filter(([tid, nice]) => !before.has(tid) && nice === Math.min(19, own + WORKER_NICENESS));
      expect(lowered, 'worker threads at the lower priority').to.have.length(2);
      expect(os.getPriority(Number(fs.readlinkSync('/proc/thread-self').split('/').pop()))).to.equal(own);
      for (const [tid, nice] of before) if (fs.existsSync(`/proc/self/task/${tid}`)) expect(os.getPriority(tid), `thread ${tid}`).to.equal(nice);
    } finally {
      await pool.close();
    }
  });
});
