/**
 * 统计用区划代码: 12 digits, province 2, city 2, county 2, township 3, village 3. A code that ends in
 * zeros names the division above: 421122000000 is a county, 421122001000 a township in it. The
 * all-zero code stands for the whole country (used by admins and the command line).
 */
export const regionLevels = ['country', 'province', 'city', 'county', 'township', 'village'] as const;
export type RegionLevel = (typeof regionLevels)[number];

/** How many leading digits each level keeps. */
const PREFIX_LENGTH: Record<RegionLevel, number> = { country: 0, province: 2, city: 4, county: 6, township: 9, village: 12 };

export function isRegionCode(code: unknown): code is string {
  return typeof code === 'string' && /^\d{12}$/.test(code);
}

export function regionLevel(code: string): RegionLevel {
  if (/^0{12}$/.test(code)) return 'country';
  if (code.endsWith('0000000000')) return 'province';
  if (code.endsWith('00000000')) return 'city';
  if (code.endsWith('000000')) return 'county';
  if (code.endsWith('000')) return 'township';
  return 'village';
}

/** The significant digits: every code in the subtree starts with them. */
export function regionPrefix(code: string): string {
  return code.slice(0, PREFIX_LENGTH[regionLevel(code)]);
}

/** The division directly above (a village's township …); null for a province or the country. */
export function parentRegion(code: string): string | null {
  const level = regionLevel(code);
  const index = regionLevels.indexOf(level);
  if (index <= 1) return null;
  const keep = PREFIX_LENGTH[regionLevels[index - 1]];
  return code.slice(0, keep).padEnd(12, '0');
}

export function isWithin(code: string, ancestor: string): boolean {
  return code.startsWith(regionPrefix(ancestor));
}

/** True when `code` lies in any of the subtrees. */
export function isWithinAny(code: string, ancestors: readonly string[]): boolean {
  return ancestors.some((a) => isWithin(code, a));
}

/**
 * A MongoDB filter on `field` that keeps the subtrees: an anchored prefix regex, which MongoDB
 * (and the embedded engine) can serve from an index on the field. Prefixes are digits only, so
 * nothing from the caller reaches the pattern unescaped.
 */
export function subtreeFilter(field: string, ancestors: readonly string[]): Record<string, unknown> {
  const prefixes = ancestors.map(regionPrefix);
  if (prefixes.some((p) => p === '')) return {};
  return { [field]: { $in: prefixes.map((p) => new RegExp(`^${p}`)) } };
}
