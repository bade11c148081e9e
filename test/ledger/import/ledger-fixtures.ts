/**
 * Ledger files for the import tests, made by the tests themselves (issue 6 "How it is checked"):
 * county ledgers written through the export's own writer from the synthetic county, and small
 * hand-made workbooks (exceljs' in-memory Workbook) with the oddities of real ledgers: a merged
 * title, a 填报单位 row, merged two-level headers, rich text, formulas, dates in every spelling.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { loadRegionsFromRows } from '../../../src/regions/region.service';
import type { Household } from '../../../src/registry/household.types';
import { writeCountyLedger } from '../../../src/ledger/make-samples';
import { generateCounty, type SyntheticCounty } from '../../../src/ledger/synthetic-county';

export const COUNTY_CODE = '421199000000';
export const COUNTY_NAME = '青山县';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-import-test-'));
let fileCounter = 0;

export function tmpFile(ext = 'xlsx'): string {
  fs.mkdirSync(tmpRoot, { recursive: true });
  return path.join(tmpRoot, `f${fileCounter++}.${ext}`);
}

export function removeTmpFiles(): void {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}

/** The synthetic county of these tests (one seed, so village names always map to the same codes). */
export function testCounty(households = 12): SyntheticCounty {
  return generateCounty({ households, seed: 77 });
}

export async function loadCountyRegions(county: SyntheticCounty): Promise<void> {
  const { errors } = await loadRegionsFromRows(county.regions.map((r) => [r.code, r.name]));
  if (errors.length) throw new Error(`regions: ${JSON.stringify(errors)}`);
}

export function householdsOf(county: SyntheticCounty, count?: number): Household[] {
  const all = [...county.households()];
  return count === undefined ? all : all.slice(0, count);
}

/** A ledger in one of our layouts, written by the export's row mapper and workbook writer. */
export async function layoutFile(layout: string, households: Household[], county: SyntheticCounty): Promise<string> {
  const file = tmpFile();
  await writeCountyLedger(fs.createWriteStream(file), { layout, households, villages: county.villages, countyName: COUNTY_NAME });
  return file;
}

export type CellSpec = ExcelJS.CellValue;

export interface HandmadeSpec {
  title?: string;
  unit?: string;
  /** Upper header row; null cells under a merge. */
  groups?: (string | null)[];
  /** Merges to make in the header, as [startCol, endCol] across the group row, or vertical ones. */
  groupMerges?: [number, number][];
  /** Columns whose label spans both header rows (written in the upper row, merged down). */
  verticalMerges?: number[];
  header: (string | null)[];
  rows: CellSpec[][];
  /** Number formats by 1-based column (e.g. '@' for text, 'yyyy-mm-dd'). */
  numFmt?: Record<number, string>;
  sheetName?: string;
  /** Other sheets written before the ledger. */
  before?: { name: string; rows: CellSpec[][] }[];
}

/** A small ledger made like a cadre's: title, 填报单位, one- or two-level header, data. */
export async function handmadeFile(spec: HandmadeSpec): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  for (const other of spec.before ?? []) {
    const ws = workbook.addWorksheet(other.name);
    for (const r of other.rows) ws.addRow(r);
  }
  const ws = workbook.addWorksheet(spec.sheetName ?? '贫困人口明细');
  const width = spec.header.length;
  let r = 1;
  if (spec.title) {
    ws.getCell(r, 1).value = spec.title;
    ws.mergeCells(r, 1, r, width);
    r++;
  }
  if (spec.unit) {
    ws.getCell(r, 1).value = spec.unit;
    r++;
  }
  if (spec.groups) {
    const upper = r;
    spec.groups.forEach((g, i) => { if (g !== null) ws.getCell(upper, i + 1).value = g; });
    spec.header.forEach((h, i) => {
      if (spec.verticalMerges?.includes(i + 1)) ws.getCell(upper, i + 1).value = h;
      else if (h !== null) ws.getCell(upper + 1, i + 1).value = h;
    });
    for (const [a, b] of spec.groupMerges ?? []) ws.mergeCells(upper, a, upper, b);
    for (const c of spec.verticalMerges ?? []) ws.mergeCells(upper, c, upper + 1, c);
    r += 2;
  } else {
    spec.header.forEach((h, i) => { if (h !== null) ws.getCell(r, i + 1).value = h; });
    r++;
  }
  for (const [col, fmt] of Object.entries(spec.numFmt ?? {})) ws.getColumn(Number(col)).numFmt = fmt;
  for (const row of spec.rows) {
    row.forEach((v, i) => { if (v !== null && v !== undefined) ws.getCell(r, i + 1).value = v; });
    r++;
  }
  const file = tmpFile();
  await workbook.xlsx.writeFile(file);
  return file;
}

/** The national layout's labels in its order. */
export const NATIONAL_HEADER = ['序号', '县', '乡(镇)', '行政村', '自然村', '户编号', '人编号', '姓名', '证件号码', '人数', '与户主关系', '民族', '文化程度', '在校生状况', '健康状况', '劳动技能', '务工状况', '务工时间（月）', '参加大病医疗', '脱贫属性', '脱贫年度', '贫困户属性', '主要致贫原因', '危房户', '饮水安全', '人均纯收入', '联系电话'];

/** One national row for a member; `over` replaces cells by label. */
export function nationalRow(
  county: SyntheticCounty, h: Household, memberIndex: number, seq: number, over: Record<string, CellSpec> = {},
): CellSpec[] {
  const v = county.villages.find((x) => x.code === h.regionCode);
  const m = h.members[memberIndex];
  const base: Record<string, CellSpec> = {
    序号: seq, 县: v?.county ?? '', '乡(镇)': v?.township ?? '', 行政村: v?.name ?? '', 自然村: h.group, 户编号: h.code,
    人编号: `${h.code}${String(memberIndex + 1).padStart(2, '0')}`, 姓名: m.name, 证件号码: m.idNumber, 人数: h.members.length,
    与户主关系: { head: '户主', spouse: '配偶', son: '之子', daughter: '之女', father: '之父', mother: '之母', grandson: '之孙子', granddaughter: '之孙女' }[m.relation as string] ?? '其他',
    民族: m.ethnicity, 文化程度: null, 在校生状况: m.schooling === 'primary' ? '小学三年级' : null, 健康状况: m.health === 'chronic' ? '慢性病' : '健康',
    劳动技能: null, 务工状况: null, '务工时间（月）': m.monthsWorked, 参加大病医疗: m.insurance.seriousIllness ? '√' : null,
    脱贫属性: '已脱贫享受政策', 脱贫年度: 2019, 贫困户属性: '一般贫困户', 主要致贫原因: '因病', 危房户: '否', 饮水安全: '是',
    人均纯收入: 8000, 联系电话: h.phone,
  };
  const merged = { ...base, ...over };
  return NATIONAL_HEADER.map((label) => merged[label] ?? null);
}
