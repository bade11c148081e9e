/**
 * Loading and listing administrative divisions, and resolving the village a ledger row names
 * (县 / 乡(镇) / 行政村) to its code for the importer. Divisions are reference data: every
 * authenticated user may read them; writing is checked against the actor's scope.
 */
import mongoose from 'mongoose';
import { recordAudit } from '../audit/audit.service';
import { AppError } from '../http/errors';
import { systemActor, type Actor } from '../users/actor';
import { can } from '../users/permissions';
import { isRegionCode, isWithinAny, parentRegion, regionLevel, type RegionLevel } from './region-code';
import { RegionModel as TypedRegionModel } from './region.model';

const RegionModel = TypedRegionModel as unknown as mongoose.Model<any>;

export const MAX_REGIONS_PER_CALL = 10_000;

export interface RegionInput {
  code: string;
  name: string;
}

export interface Region {
  code: string;
  name: string;
  level: RegionLevel;
  parent: string | null;
}

/** How a ledger's name is compared with ours: no spaces, half-width brackets. */
export function nameKey(name: string): string {
  return name.trim().replace(/\s+/g, '').replace(/（/g, '(').replace(/）/g, ')');
}

// resolveVillage runs once per ledger row: remember answers until the divisions change.
const resolveCache = new Map<string, { code: string } | { error: 'unknown' | 'ambiguous' }>();

/** Inserts or renames divisions by code; level and parent follow from the code. */
export async function upsertRegions(actor: Actor, regions: RegionInput[]): Promise<{ count: number }> {
  if (!can(actor, 'regions:write')) throw new AppError('FORBIDDEN');
  if (regions.length > MAX_REGIONS_PER_CALL) throw new AppError('VALIDATION_FAILED', `At most ${MAX_REGIONS_PER_CALL} regions per call`);
  const problems: { path: string; code: string; message: string }[] = [];
  regions.forEach((r, i) => {
    if (!isRegionCode(r.code) || regionLevel(r.code) === 'country') problems.push({ path: `regions.${i}.code`, code: 'region.code', message: `regions.${i}.code must be a 12-digit division code` });
    else if (!isWithinAny(r.code, actor.regionCodes)) problems.push({ path: `regions.${i}.code`, code: 'region.scope', message: `regions.${i}.code is outside your region` });
    if (typeof r.name !== 'string' || nameKey(r.name) === '' || r.name.length > 100) problems.push({ path: `regions.${i}.name`, code: 'region.name', message: `regions.${i}.name must be 1–100 characters` });
  });
  if (problems.length > 0) throw new AppError('VALIDATION_FAILED', problems[0].message, problems);
  if (regions.length === 0) return { count: 0 };
  const ops = regions.map((r) => ({
    updateOne: {
      filter: { code: r.code },
      // No $setOnInsert: the upserted document takes `code` from the filter (ENGINE-NOTES.md).
      update: { $set: { name: r.name.trim(), nameKey: nameKey(r.name), level: regionLevel(r.code), parent: parentRegion(r.code) } },
      upsert: true,
    },
  }));
  await RegionModel.bulkWrite(ops, { ordered: true });
  resolveCache.clear();
  await recordAudit(actor, { action: 'regions.upsert', entity: 'region', entityId: null, details: { count: regions.length, first: regions[0].code } });
  return { count: regions.length };
}

export interface RegionListQuery {
  parent?: string;
  level?: RegionLevel;
  q?: string;
  page: number;
  limit: number;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export async function listRegions(query: RegionListQuery): Promise<{ items: Region[]; total: number; page: number; limit: number }> {
  const filter: Record<string, unknown> = {};
  if (query.parent) filter.parent = query.parent;
  if (query.level) filter.level = query.level;
  if (query.q) filter.nameKey = mongoose.trusted({ $regex: escapeRegex(nameKey(query.q)) });
  const [docs, total] = await Promise.all([
    RegionModel.find(filter).setOptions({ sanitizeFilter: true }).sort({ code: 1 }).skip((query.page - 1) * query.limit).limit(query.limit).lean(),
    RegionModel.countDocuments(filter).setOptions({ sanitizeFilter: true }),
  ]);
  const items = (docs as { code: string; name: string; level: RegionLevel; parent: string | null }[]).map((d) => ({ code: d.code, name: d.name, level: d.level, parent: d.parent ?? null }));
  return { items, total, page: query.page, limit: query.limit };
}

async function codesNamed(level: RegionLevel, name: string, parents: string[] | null): Promise<string[]> {
  const filter: Record<string, unknown> = { level, nameKey: nameKey(name) };
  if (parents) filter.parent = mongoose.trusted({ $in: parents });
  const docs = await RegionModel.find(filter).setOptions({ sanitizeFilter: true }).select({ code: 1, _id: 0 }).lean();
  return (docs as { code: string }[]).map((d) => d.code);
}

/**
 * The village a ledger row names. County and township narrow the search when given; a name that
 * matches no village is `unknown`, more than one `ambiguous` (two 张家村 in different towns).
 */
export async function resolveVillage(names: { county?: string | null; township?: string | null; village: string }): Promise<{ code: string } | { error: 'unknown' | 'ambiguous' }> {
  const key = JSON.stringify([names.county ?? '', names.township ?? '', names.village].map((n) => nameKey(String(n ?? ''))));
  const cached = resolveCache.get(key);
  if (cached) return cached;
  let result: { code: string } | { error: 'unknown' | 'ambiguous' };
  if (!names.village || nameKey(names.village) === '') {
    result = { error: 'unknown' };
  } else {
    let parents: string[] | null = null;
    if (names.county && nameKey(names.county) !== '') parents = await codesNamed('county', names.county, null);
    if (names.township && nameKey(names.township) !== '') {
      const townships = await codesNamed('township', names.township, parents);
      parents = townships;
    } else if (parents) {
      // No township given: any township of the named counties.
      const townships = await RegionModel.find({ level: 'township', parent: mongoose.trusted({ $in: parents }) }).setOptions({ sanitizeFilter: true }).select({ code: 1, _id: 0 }).lean();
      parents = (townships as { code: string }[]).map((t) => t.code);
    }
    const villages = parents && parents.length === 0 ? [] : await codesNamed('village', names.village, parents);
    result = villages.length === 1 ? { code: villages[0] } : { error: villages.length === 0 ? 'unknown' : 'ambiguous' };
  }
  if (resolveCache.size > 50_000) resolveCache.clear();
  resolveCache.set(key, result);
  return result;
}

/**
 * Divisions from a CSV or Excel sheet: rows as `[code, name]` arrays or objects with
 * `code`/`name` (or 代码/区划代码 and 名称/区划名称). Excel may have turned the code into a
 * number; 12-digit codes stay below 2^53, so that is read back exactly. Bad rows are reported,
 * the good ones loaded.
 */
export async function loadRegionsFromRows(rows: unknown[], actor: Actor = systemActor): Promise<{ count: number; errors: { row: number; message: string }[] }> {
  const regions: RegionInput[] = [];
  const errors: { row: number; message: string }[] = [];
  rows.forEach((row, index) => {
    let code: unknown;
    let name: unknown;
    if (Array.isArray(row)) [code, name] = row;
    else if (row && typeof row === 'object') {
      const r = row as Record<string, unknown>;
      code = r.code ?? r['代码'] ?? r['区划代码'] ?? r['统计用区划代码'];
      name = r.name ?? r['名称'] ?? r['区划名称'];
    }
    const codeText = typeof code === 'number' && Number.isSafeInteger(code) ? String(code).padStart(12, '0') : typeof code === 'string' ? code.trim() : '';
    const nameText = typeof name === 'string' ? name.trim() : '';
    if (!isRegionCode(codeText) || regionLevel(codeText) === 'country') errors.push({ row: index + 1, message: 'code must be a 12-digit division code' });
    else if (nameText === '' || nameText.length > 100) errors.push({ row: index + 1, message: 'name must be 1–100 characters' });
    else regions.push({ code: codeText, name: nameText });
  });
  let count = 0;
  for (let i = 0; i < regions.length; i += MAX_REGIONS_PER_CALL) count += (await upsertRegions(actor, regions.slice(i, i + MAX_REGIONS_PER_CALL))).count;
  return { count, errors };
}
