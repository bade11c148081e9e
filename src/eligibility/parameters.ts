/**
 * Dated parameters (STYLE.md 15; OpenFisca style): each value starts on its date and holds until
 * the next; `null` stops the parameter. A region code prefix may override the values, and the
 * most specific prefix with a value in force wins (a county's 低保 line over its province's).
 */
import type { ParameterValue } from './ruleset.schema';

export interface DatedValue { from: string; value: ParameterValue }

export interface Parameter {
  name: string;
  description: string;
  unit: string;
  reference: string;
  /** Ascending by `from`. */
  values: DatedValue[];
  /** Region prefix → ascending values; longest prefixes first. */
  regions: { prefix: string; values: DatedValue[]; file: string }[];
  /** The files the parameter was read from (base first). */
  files: string[];
}

export interface ResolvedParameter {
  name: string;
  value: Exclude<ParameterValue, null>;
  effectiveFrom: string;
  /** The region prefix whose override gave the value; null for the base value. */
  region: string | null;
}

export function toDated(values: Record<string, ParameterValue>): DatedValue[] {
  return Object.entries(values).map(([from, value]) => ({ from, value })).sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
}

/** The entry in force on `asOf` (the latest starting on or before it). */
function inForce(values: readonly DatedValue[], asOf: string): DatedValue | undefined {
  let found: DatedValue | undefined;
  for (const v of values) {
    if (v.from <= asOf) found = v;
    else break;
  }
  return found;
}

/** The value in force for a household of `regionCode` on `asOf`, or undefined when none is. */
export function resolveParameter(parameter: Parameter, regionCode: string, asOf: string): ResolvedParameter | undefined {
  for (const region of parameter.regions) {
    if (!regionCode.startsWith(region.prefix)) continue;
    const v = inForce(region.values, asOf);
    if (v && v.value !== null) return { name: parameter.name, value: v.value, effectiveFrom: v.from, region: region.prefix };
  }
  const v = inForce(parameter.values, asOf);
  if (!v || v.value === null) return undefined;
  return { name: parameter.name, value: v.value, effectiveFrom: v.from, region: null };
}

/**
 * Why the base values do not cover [from, to] (to null = open), or null when they do: a rule
 * in force on a day without a value for its parameter would have nothing to compare with.
 */
export function coverageGap(parameter: Parameter, from: string, to: string | null): string | null {
  const start = inForce(parameter.values, from);
  if (!start || start.value === null) {
    return `has no value in force on ${from}` + (parameter.values.length ? ` (its first value starts ${parameter.values[0].from})` : '');
  }
  for (const v of parameter.values) {
    if (v.from > from && (to === null || v.from <= to) && v.value === null) return `stops on ${v.from}`;
  }
  return null;
}

/** Keys of an object-valued parameter (laborAge → min, max), from every value it ever had. */
export function valueKeys(parameter: Parameter): Set<string> | null {
  const all = [...parameter.values, ...parameter.regions.flatMap((r) => r.values)].map((v) => v.value).filter((v) => v !== null);
  if (all.length === 0) return null;
  if (all.every((v) => typeof v === 'number')) return null;
  if (!all.every((v) => typeof v === 'object')) return new Set();
  // Only keys every value has may be addressed.
  const [first, ...rest] = all as Record<string, number>[];
  return new Set(Object.keys(first).filter((k) => rest.every((v) => k in v)));
}
