/**
 * 享受政策 (POLICY.md "Words": in policy): status poor, exited-supported or returned, or a monitored
 * household whose risk is not eliminated.
 */
import type { Household } from '../../registry/household.types';
import { householdStatus, monitoringType } from '../../registry/vocabulary';

const IN_POLICY_STATUSES = new Set(['poor', 'exited-supported', 'returned']);

// The codes as a Set, read once from the vocabulary: this runs for every member (or household)
// of a run, where `isCode` searched the list through two module bindings per call.
const STATUS: ReadonlySet<unknown> = new Set(householdStatus.codes);
const MONITORING_TYPE: ReadonlySet<unknown> = new Set(monitoringType.codes);

/** 防返贫监测对象 of any kind (its risk open or eliminated); the 两不愁三保障 checks cover them. */
export function isMonitored(household: Partial<Household>): boolean | undefined {
  const m = household.monitoring;
  if (m === null || m === undefined) return false;
  if (typeof m !== 'object') return undefined;
  if (m.type === null || m.type === undefined) return false;
  return typeof m.type === 'string' && MONITORING_TYPE.has(m.type) ? true : undefined;
}

/** Monitored with the risk not eliminated. */
export function isMonitoredOpenRisk(household: Partial<Household>): boolean | undefined {
  const monitored = isMonitored(household);
  if (monitored !== true) return monitored;
  const eliminated = household.monitoring?.riskEliminated;
  return typeof eliminated === 'boolean' ? !eliminated : undefined;
}

export function isInPolicy(household: Partial<Household>): boolean | undefined {
  const openRisk = isMonitoredOpenRisk(household);
  if (openRisk === true) return true;
  if (typeof household.status !== 'string' || !STATUS.has(household.status)) return undefined;
  if (IN_POLICY_STATUSES.has(household.status)) return true;
  return openRisk === false ? false : undefined;
}

/** The 两不愁三保障 checks cover every in-policy or monitored household (POLICY.md). */
export function inPolicyOrMonitored(household: Partial<Household>): boolean | undefined {
  const inPolicy = isInPolicy(household);
  const monitored = isMonitored(household);
  if (inPolicy === true || monitored === true) return true;
  return inPolicy === false && monitored === false ? false : undefined;
}
