/**
 * Place names for a ledger: ledgers name places, not codes (DESIGN.md "HTTP API", regions), so
 * the 县 / 乡(镇) / 行政村 columns, the title's county and the 填报单位 come from the regions
 * collection. The divisions of the exported subtree (and the ones above it) are read once before
 * the cursor opens: a county has a few hundred villages, so this is small and saves a lookup
 * per row. A division that was never loaded shows as its code, so a row is never left unplaced.
 */
import { parentRegion, regionLevel, regionPrefix } from '../../regions/region-code';
import { listRegions } from '../../regions/region.service';
import type { PlaceNames } from './row.mapper';

export interface Places {
  of(villageCode: string): PlaceNames;
  nameOf(code: string): string;
  countyName(code: string): string;
  /** 填报单位: the names from the county down to the region (××县××镇). */
  unitName(code: string): string;
}

const COUNTRY = '000000000000';

export function placesFrom(names: ReadonlyMap<string, string>): Places {
  const cache = new Map<string, PlaceNames>();
  const nameOf = (code: string): string => {
    if (code === COUNTRY) return names.get(code) ?? '全国';
    return names.get(code) ?? code;
  };
  const ancestorAt = (code: string, level: 'county' | 'township'): string | null => {
    const keep = level === 'county' ? 6 : 9;
    const ancestor = code.slice(0, keep).padEnd(12, '0');
    return ['country', 'province', 'city'].includes(regionLevel(code)) || (level === 'township' && regionLevel(code) === 'county') ? null : ancestor;
  };
  return {
    of(villageCode) {
      let p = cache.get(villageCode);
      if (!p) {
        const county = ancestorAt(villageCode, 'county');
        const township = ancestorAt(villageCode, 'township');
        p = {
          county: county ? nameOf(county) : null,
          township: township ? nameOf(township) : null,
          village: regionLevel(villageCode) === 'village' ? nameOf(villageCode) : null,
        };
        cache.set(villageCode, p);
      }
      return p;
    },
    nameOf,
    countyName(code) {
      const county = ancestorAt(code, 'county');
      return county ? nameOf(county) : nameOf(code);
    },
    unitName(code) {
      const level = regionLevel(code);
      if (['country', 'province', 'city'].includes(level)) return nameOf(code);
      const chain: string[] = [];
      for (let c: string | null = code; c && regionLevel(c) !== 'city'; c = parentRegion(c)) chain.unshift(nameOf(c));
      return chain.join('');
    },
  };
}

/** Levels below `level`, and `level` itself, as region-code.ts orders them. */
const LEVELS = ['province', 'city', 'county', 'township', 'village'] as const;
const PAGE = 10_000;

/**
 * The names of `region`'s subtree and of the divisions above it, read level by level through the
 * regions service (a county holds a few hundred divisions; a page is 10,000).
 */
export async function loadPlaceNames(region: string): Promise<Places> {
  const above = new Set<string>();
  for (let c = parentRegion(region); c; c = parentRegion(c)) above.add(c);
  const prefix = regionPrefix(region);
  const names = new Map<string, string>();
  for (const level of LEVELS) {
    for (let page = 1; ; page++) {
      const { items, total } = await listRegions({ level, page, limit: PAGE });
      for (const r of items) {
        if (r.code.startsWith(prefix) || above.has(r.code)) names.set(r.code, r.name);
      }
      if (page * PAGE >= total || items.length === 0) break;
    }
  }
  return placesFrom(names);
}
