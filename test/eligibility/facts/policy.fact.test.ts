import { expect } from 'chai';
import { inPolicyOrMonitored, isInPolicy, isMonitored, isMonitoredOpenRisk } from '../../../src/eligibility/facts/policy.fact';
import type { Monitoring } from '../../../src/registry/household.types';


const open: Monitoring = { type: 'marginal', risks: [], identifiedAt: '2023-01-01', riskEliminated: false, eliminatedAt: null };
const closed: Monitoring = { ...open, riskEliminated: true, eliminatedAt: '2024-01-01' };

describe('facts: in policy', () => {
  it('puts poor, exited-supported and returned households in policy', () => {
    for (const status of ['poor', 'exited-supported', 'returned'] as const) expect(isInPolicy({ status, monitoring: null })).to.equal(true);
  });

  it('leaves exited and non-registered households out unless monitored with an open risk', () => {
    expect(isInPolicy({ status: 'exited', monitoring: null })).to.equal(false);
    expect(isInPolicy({ status: 'none', monitoring: closed })).to.equal(false);
    expect(isInPolicy({ status: 'none', monitoring: open })).to.equal(true);
  });

  it('is unknown for an unknown status without an open monitoring risk', () => {
    expect(isInPolicy({ status: 'rich' as never, monitoring: null })).to.equal(undefined);
  });

  it('tells monitored households from those with an open risk', () => {
    expect(isMonitored({ monitoring: closed })).to.equal(true);
    expect(isMonitoredOpenRisk({ monitoring: closed })).to.equal(false);
    expect(isMonitoredOpenRisk({ monitoring: open })).to.equal(true);
    expect(isMonitored({ monitoring: { ...open, type: null } })).to.equal(false);
  });

  it('covers in-policy and monitored households with the 两不愁三保障 checks', () => {
    expect(inPolicyOrMonitored({ status: 'exited', monitoring: closed })).to.equal(true);
    expect(inPolicyOrMonitored({ status: 'exited', monitoring: null })).to.equal(false);
  });
});
