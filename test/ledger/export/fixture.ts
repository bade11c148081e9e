/**
 * A small county whose 汇总 figures are counted by hand from POLICY.md (asOf 2024-06-30), and an
 * app that serves the export routes.
 *
 * Regions: 红安县 421122000000 → 城关镇 421122001000 (张家村 …001001, 李家村 …001002) and 八里镇
 * 421122002000 (王家村 …002001).
 *
 * H1 张家村, poor, 低保; 张三 head 64 ordinary healthy, 李四 spouse 62 chronic.
 *   兜底保障 (低保) 2人; 慢性病 1人; 健康 2人; 产业 no (nobody 16–59); 小额贷款 yes (张三 ordinary,
 *   64 is within 18–65); 财产保险 2人.
 * H2 张家村, poor; 王五 head 44 disabled grade 2 (lost labour), 赵六 spouse 42 ordinary, 王小 son
 *   9 in 小学. Net income 12000+3000+2400−1500 = 15900, 5300 a head < 7200, but 赵六 can work:
 *   no 兜底. 残疾 1人 (王五); 健康 3人; 教育 1人 (王小); 产业 yes; 小额贷款 yes; 财产保险 3人.
 * H3 李家村, exited (不再享受政策), not monitored: in no category.
 * H4 王家村, poor, 特困 集中供养; one member 54 ordinary, with formula-looking text in its cells
 *   (stored directly, as data loaded before validation existed might be): 兜底保障 (特困) 1人;
 *   产业 yes; 小额贷款 yes; 财产保险 no (集中供养).
 *
 * In policy: H1, H2, H4 = 3户 6人. 兜底保障 2户3人, 残疾帮扶 1户1人, 慢性病帮扶 1户1人,
 * 健康扶贫 2户5人, 教育扶贫 1户1人, 产业扶贫 2户, 扶贫小额贷款 3户, 家庭财产保险 2户5人 (the default
 * rule set: no county rule set applies to 421122).
 */
import type express from 'express';
import { createApp } from '../../../src/app';
import { upsertRegions } from '../../../src/regions/region.service';
import { HouseholdModel } from '../../../src/registry/household.model';
import { upsertHouseholdByCode } from '../../../src/registry/household.service';
import type { Household, Member } from '../../../src/registry/household.types';
import { systemActor } from '../../../src/users/actor';
import { buildHousehold, buildMember } from '../../helpers/builders';
import { makeIdNumber } from '../../helpers/id-numbers';

export const AS_OF = '2024-06-30';
export const COUNTY = '421122000000';
export const CHENGGUAN = '421122001000';
export const ZHANGJIA = '421122001001';
export const LIJIA = '421122001002';
export const WANGJIA = '421122002001';

export const EXPECTED_SENTENCE = '享受政策的贫困户共3户6人，其中享受兜底保障2户3人，残疾帮扶1户1人，慢性病帮扶1户1人，健康扶贫2户5人，'
  + '教育扶贫1户1人，产业扶贫2户，扶贫小额贷款3户，家庭财产保险2户5人。';

/** [name, 户数, 人数] rows of the 汇总 sheet, in POLICY.md's order. */
export const EXPECTED_SUMMARY: [string, number, number | null][] = [
  ['享受政策的贫困户', 3, 6],
  ['兜底保障', 2, 3],
  ['残疾帮扶', 1, 1],
  ['慢性病帮扶', 1, 1],
  ['健康扶贫', 2, 5],
  ['教育扶贫', 1, 1],
  ['产业扶贫', 2, null],
  ['扶贫小额贷款', 3, null],
  ['家庭财产保险', 2, 5],
];

let seq = 100;
function person(name: string, birthDate: string, gender: 'male' | 'female', overrides: Partial<Member> = {}): Omit<Member, 'id'> {
  seq += 2;
  const idNumber = makeIdNumber(birthDate, seq + (gender === 'male' ? 1 : 0));
  return buildMember({ name, gender, idNumber, birthDate, ...overrides });
}

export interface Fixture {
  h1: Household;
  h2: Household;
  h3: Household;
  h4: Household;
}

export async function loadFixture(): Promise<Fixture> {
  await upsertRegions(systemActor, [
    { code: '420000000000', name: '湖北省' },
    { code: '421100000000', name: '黄冈市' },
    { code: COUNTY, name: '红安县' },
    { code: CHENGGUAN, name: '城关镇' },
    { code: ZHANGJIA, name: '张家村' },
    { code: LIJIA, name: '李家村' },
    { code: '421122002000', name: '八里镇' },
    { code: WANGJIA, name: '王家村' },
  ]);
  const h1 = buildHousehold({
    regionCode: ZHANGJIA, dibao: true, phone: '13812345678',
    members: [
      person('张三', '1960-05-01', 'male', { relation: 'head', phone: '13900001111' }),
      person('李四', '1962-03-01', 'female', { relation: 'spouse', health: 'chronic' }),
    ],
  });
  // The 户主 is listed last on purpose: ledgers put the 户主 first.
  const h2 = buildHousehold({
    regionCode: ZHANGJIA,
    members: [
      person('赵六', '1982-01-01', 'female', { relation: 'spouse' }),
      person('王小', '2014-09-01', 'male', { relation: 'son', schooling: 'primary', labor: 'none', education: 'primary' }),
      person('王五', '1980-01-01', 'male', { relation: 'head', health: 'disabled', disability: { category: 'physical', grade: 2 }, labor: 'lost' }),
    ],
  });
  const h3 = buildHousehold({
    regionCode: LIJIA, status: 'exited', exitYear: 2019,
    members: [person('孙七', '1958-01-01', 'male', { relation: 'head' }), person('周八', '1959-01-01', 'female', { relation: 'spouse' })],
  });
  const h4 = buildHousehold({
    regionCode: WANGJIA, tekun: true, tekunCare: 'concentrated', group: '=HYPERLINK("http://example.invalid","点我")', phone: '+8613812345678',
    members: [person('@SUM(A1)', '1970-01-01', 'male', { relation: 'head', ethnicity: '\t=1+1' })],
  });
  for (const h of [h1, h2, h3]) await upsertHouseholdByCode(systemActor, h);
  // Validation trims and refuses some of these; data from before validation may hold them.
  const tricky = { ...h4, members: h4.members.map((m) => ({ ...m, personId: m.idNumber.slice(0, 18) })) };
  tricky.members[0] = { ...tricky.members[0], name: '@SUM(A1)', ethnicity: '\t=1+1' };
  await HouseholdModel.create({ ...tricky, group: '=HYPERLINK("http://example.invalid","点我")', causes: { main: 'illness', others: [] }, version: 1, visits: [{ date: '2024-01-02', visitor: '-2+3', level: 'village', notes: '\r=1' }] });
  h4.visits = [{ date: '2024-01-02', visitor: '-2+3', level: 'village', notes: '\r=1' }];
  h4.causes = { main: 'illness', others: [] };
  return { h1, h2, h3, h4 };
}

/** The service's app: the export routes as mounted under /api/v1. */
export function exportApp(): express.Express {
  return createApp();
}
