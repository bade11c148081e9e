/**
 * 帮扶责任人 and 帮扶措施 on the as-of date, and how long ago the household was identified
 * (POLICY.md "Data checks").
 */
import type { Household } from '../../registry/household.types';
import { isRealDate } from '../../registry/id-number';

interface Dated { since?: unknown; until?: unknown }

/** In force on `asOf`: started on or before it (or no start recorded) and not ended before it. */
export function inForceOn(entry: Dated, asOf: string): boolean {
  const since = typeof entry.since === 'string' ? entry.since : null;
  const until = typeof entry.until === 'string' ? entry.until : null;
  return (since === null || since <= asOf) && (until === null || until >= asOf);
}

export function countInForce(entries: unknown, asOf: string): number {
  if (!Array.isArray(entries)) return 0;
  let count = 0;
  for (const e of entries) if (e !== null && typeof e === 'object' && inForceOn(e as Dated, asOf)) count++;
  return count;
}

/** Full calendar months from `from` to `to` (2024-01-31 → 2024-02-29 is 0; → 2024-03-01 is 1). */
export function fullMonths(from: string, to: string): number {
  const months = (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 + Number(to.slice(5, 7)) - Number(from.slice(5, 7));
  return to.slice(8) < from.slice(8) ? months - 1 : months;
}

/**
 * The date from which support measures were due: a monitored household's 纳入监测 date when its
 * risk is open, otherwise its 首次识别时间.
 */
export function identificationDate(household: Partial<Household>, monitoredOpenRisk: boolean | undefined): string | undefined {
  const monitored = household.monitoring?.identifiedAt;
  if (monitoredOpenRisk === true && typeof monitored === 'string' && isRealDate(monitored)) return monitored;
  const identified = household.identifiedAt;
  return typeof identified === 'string' && isRealDate(identified) ? identified : undefined;
}

/** Full months since identification on `asOf`; undefined without a date (or one after `asOf`). */
export function monthsSinceIdentified(identifiedAt: string | undefined, asOf: string): number | undefined {
  if (identifiedAt === undefined || identifiedAt > asOf) return undefined;
  return fullMonths(identifiedAt, asOf);
}
