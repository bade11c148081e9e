import { expect } from 'chai';
import { FREE_FAILURES, lockedFor, recordFailure, recordSuccess, resetLoginThrottle } from '../../src/users/login-throttle';

describe('login throttle', () => {
  beforeEach(() => resetLoginThrottle());
  const t0 = Date.UTC(2026, 0, 1);

  it('lets the first failures through and locks after the fifth for a name', () => {
    for (let i = 0; i < FREE_FAILURES.user - 1; i++) recordFailure('zhang', '10.0.0.1', t0);
    expect(lockedFor('zhang', '10.0.0.1', t0)).to.equal(0);
    recordFailure('zhang', '10.0.0.1', t0);
    expect(lockedFor('zhang', '10.0.0.1', t0)).to.equal(30);
    // Another address does not escape the name's lock.
    expect(lockedFor('zhang', '10.0.0.2', t0)).to.equal(30);
    expect(lockedFor('li', '10.0.0.2', t0)).to.equal(0);
  });

  it('doubles the window with every further failure, up to 15 minutes', () => {
    for (let i = 0; i < FREE_FAILURES.user; i++) recordFailure('zhang', '10.0.0.1', t0);
    recordFailure('zhang', '10.0.0.1', t0 + 31_000);
    expect(lockedFor('zhang', '10.0.0.1', t0 + 31_000)).to.equal(60);
    for (let i = 0; i < 20; i++) recordFailure('zhang', '10.0.0.1', t0 + 40_000);
    expect(lockedFor('zhang', '10.0.0.1', t0 + 40_000)).to.equal(15 * 60);
  });

  it('locks an address that tries many names', () => {
    for (let i = 0; i < FREE_FAILURES.ip; i++) recordFailure(`user${i}`, '10.0.0.9', t0);
    expect(lockedFor('someone-new', '10.0.0.9', t0)).to.be.greaterThan(0);
    expect(lockedFor('someone-new', '10.0.0.8', t0)).to.equal(0);
  });

  it('clears a name after a success and forgets old failures after an hour', () => {
    for (let i = 0; i < 4; i++) recordFailure('zhang', '10.0.0.1', t0);
    recordSuccess('zhang');
    recordFailure('zhang', '10.0.0.1', t0);
    expect(lockedFor('zhang', '10.0.0.1', t0)).to.equal(0);
    for (let i = 0; i < 3; i++) recordFailure('wang', '10.0.0.3', t0);
    recordFailure('wang', '10.0.0.3', t0 + 61 * 60_000);
    recordFailure('wang', '10.0.0.3', t0 + 61 * 60_000);
    expect(lockedFor('wang', '10.0.0.3', t0 + 61 * 60_000)).to.equal(0);
  });
});
