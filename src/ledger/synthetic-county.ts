/**
 * A synthetic county for samples, the demo, tests and benchmarks: townships and villages with
 * 12-digit codes and Chinese names, households with valid 身份证 numbers (GB 11643) and plausible
 * members, incomes, 低保 / 特困, monitoring, 帮扶责任人, supports and visits.
 *
 * Deterministic: the same `{ households, seed }` gives the same county, byte for byte, on every
 * machine (no Math.random, no clock). Households come from a generator so a 100k-household
 * county never sits in memory at once. Nobody in it exists.
 */
import { checkDigit } from '../registry/id-number';
import type { Household, Member } from '../registry/household.types';
import type {
  DisabilityCategory, Education, Employment, Health, HouseholdStatus, Labor, MonitoringRisk, MonitoringType,
  PovertyCause, Relation, Schooling, SupportCategory,
} from '../registry/vocabulary';

export interface RegionRow {
  code: string;
  name: string;
}

export interface SyntheticCounty {
  /** Province, city, county, townships and villages, parents first. */
  regions: RegionRow[];
  /** Villages with their names, for ledgers that name places. */
  villages: { code: string; name: string; township: string; county: string }[];
  /** The households, village by village, codes ascending. */
  households: () => Generator<Household>;
}

export interface CountyOptions {
  households: number;
  seed?: number;
  /** 6 digits; default 421199 (a county code not in use, under 黄冈市, 湖北省). */
  county?: string;
  countyName?: string;
  /** Ages and dates are reckoned against this day. */
  asOf?: string;
}

/** mulberry32: small, fast and the same everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const MALE = '伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国建华志强永红春生德福贵富海山成文武兴旺';
const FEMALE = '芳娜敏静丽艳娟霞秀英玲桂兰萍红梅琴云莲珍凤燕洁婷雪慧琳颖倩晶月菊花翠香春梅淑芬美玉丹';
const PLACE = '青石河桥山岭坪坝湾冲岗塘铺店庙寺沟垭坡岩林竹松柏杨柳梅桃李花龙凤马牛羊鹤雁东西南北上下中前后新老大小长高';
const TOWN_SUFFIX = ['镇', '乡', '镇', '镇', '乡'];
const ETHNIC = ['汉族', '汉族', '汉族', '汉族', '汉族', '汉族', '汉族', '汉族', '汉族', '土家族', '苗族', '回族', '侗族', '瑶族'];
const UNITS = ['县农业农村局', '县教育局', '县卫生健康局', '县人社局', '县财政局', '县民政局', '县住建局', '县水利局', '县乡村振兴局', '乡政府', '县供电公司', '县信用社'];

type Rand = () => number;

const pick = <T>(r: Rand, list: readonly T[]): T => list[Math.floor(r() * list.length)];
const int = (r: Rand, min: number, max: number): number => min + Math.floor(r() * (max - min + 1));
const chance = (r: Rand, p: number): boolean => r() < p;
function weighted<T>(r: Rand, pairs: readonly (readonly [T, number])[]): T {
  const total = pairs.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [v, w] of pairs) {
    x -= w;
    if (x < 0) return v;
  }
  return pairs[pairs.length - 1][0];
}

function addDays(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function uniqueName(r: Rand, taken: Set<string>, make: () => string): string {
  for (let i = 0; i < 50; i++) {
    const n = make();
    if (!taken.has(n)) {
      taken.add(n);
      return n;
    }
  }
  // Fall back to a numbered name; only reached with very many villages.
  let i = 2;
  while (taken.has(`${make()}${i}`)) i++;
  const n = `${make()}${i}`;
  taken.add(n);
  return n;
}

function personName(r: Rand, surname: string, male: boolean): string {
  const chars = male ? MALE : FEMALE;
  return surname + (chance(r, 0.6) ? pick(r, [...chars]) + pick(r, [...chars]) : pick(r, [...chars]));
}

/** Builds the county. Regions and village list are computed at once; households lazily. */
export function generateCounty(options: CountyOptions): SyntheticCounty {
  const seed = options.seed ?? 1;
  const total = Math.max(0, Math.floor(options.households));
  const county6 = options.county ?? '421199';
  const countyCode = `${county6}000000`;
  const countyName = options.countyName ?? '青山县';
  const asOf = options.asOf ?? '2024-06-30';
  const r = seededRandom(seed);

  const townshipCount = Math.min(20, Math.max(3, Math.ceil(total / 8000)));
  const villagesPerTownship = Math.min(40, Math.max(3, Math.ceil(total / townshipCount / 300)));
  const regions: RegionRow[] = [
    { code: `${county6.slice(0, 2)}0000000000`, name: '湖北省' },
    { code: `${county6.slice(0, 4)}00000000`, name: '黄冈市' },
    { code: countyCode, name: countyName },
  ];
  const villages: SyntheticCounty['villages'] = [];
  const townNames = new Set<string>();
  for (let t = 1; t <= townshipCount; t++) {
    const townCode = `${county6}${String(t).padStart(3, '0')}000`;
    const townName = t === 1 ? '城关镇' : uniqueName(r, townNames, () => pick(r, [...PLACE]) + pick(r, [...PLACE]) + pick(r, TOWN_SUFFIX));
    townNames.add(townName);
    regions.push({ code: townCode, name: townName });
    const villageNames = new Set<string>();
    for (let v = 1; v <= villagesPerTownship; v++) {
      const code = `${county6}${String(t).padStart(3, '0')}${String(v).padStart(3, '0')}`;
      const name = uniqueName(r, villageNames, () =>
        chance(r, 0.4) ? `${pick(r, [...SURNAMES])}家${pick(r, ['村', '湾村', '岗村', '坪村'])}` : `${pick(r, [...PLACE])}${pick(r, [...PLACE])}村`);
      regions.push({ code, name });
      villages.push({ code, name, township: townName, county: countyName });
    }
  }
  // Household counts per village: uneven, as real villages are, summing to `total`.
  const weights = villages.map(() => 0.5 + r());
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.floor((w / weightSum) * total));
  for (let i = 0, left = total - counts.reduce((a, b) => a + b, 0); left > 0; i = (i + 1) % counts.length, left--) counts[i]++;

  function* households(): Generator<Household> {
    const hr = seededRandom(seed * 7919 + 17);
    const usedIds = new Set<string>();
    const makeId = (birthDate: string, male: boolean): string => {
      const region = `${county6}`;
      const date = birthDate.replace(/-/g, '');
      for (;;) {
        let seq = int(hr, 0, 499) * 2 + (male ? 1 : 0);
        if (seq > 999) seq -= 2;
        const first17 = `${region}${date}${String(seq).padStart(3, '0')}`;
        const id = first17 + checkDigit(first17);
        if (!usedIds.has(id)) {
          usedIds.add(id);
          return id;
        }
      }
    };
    for (let vi = 0; vi < villages.length; vi++) {
      const village = villages[vi];
      for (let n = 1; n <= counts[vi]; n++) {
        yield makeHousehold(hr, village.code, n, asOf, makeId);
      }
    }
  }

  return { regions, villages, households };
}

function birthDateForAge(r: Rand, asOf: string, age: number): string {
  return addDays(asOf, -(age * 365 + int(r, 0, 364) + Math.floor(age / 4)));
}

function ageOn(birthDate: string, asOf: string): number {
  const [y, m, d] = birthDate.split('-').map(Number);
  const [ay, am, ad] = asOf.split('-').map(Number);
  return ay - y - (am < m || (am === m && ad < d) ? 1 : 0);
}

function makeMember(
  r: Rand, asOf: string, makeId: (b: string, male: boolean) => string,
  spec: { name: string; male: boolean; age: number; relation: Relation },
): Member {
  const birthDate = birthDateForAge(r, asOf, Math.max(0, spec.age));
  const age = ageOn(birthDate, asOf);
  const idNumber = makeId(birthDate, spec.male);
  let schooling: Schooling = 'none';
  if (age >= 3 && age <= 5) schooling = chance(r, 0.8) ? 'preschool' : 'none';
  else if (age >= 6 && age <= 11) schooling = 'primary';
  else if (age >= 12 && age <= 14) schooling = 'junior';
  else if (age >= 15 && age <= 17) schooling = weighted(r, [['senior', 5], ['secondary-vocational', 3], ['none', 2]] as const);
  else if (age >= 18 && age <= 22) schooling = weighted(r, [['none', 5], ['higher-vocational', 2], ['undergraduate', 2]] as const);
  const education: Education | null = age < 6 ? null
    : schooling !== 'none' ? (schooling === 'primary' || schooling === 'preschool' ? 'primary' : schooling === 'junior' ? 'primary' : schooling === 'senior' || schooling === 'secondary-vocational' ? 'junior' : 'senior')
    : age > 60 ? weighted(r, [['illiterate', 4], ['primary', 5], ['junior', 1]] as const)
    : weighted(r, [['illiterate', 1], ['primary', 4], ['junior', 5], ['senior', 2], ['college', 1]] as const);
  const health: Health = weighted(r, age > 60
    ? [['healthy', 50], ['chronic', 35], ['serious', 6], ['disabled', 9]] as const
    : [['healthy', 86], ['chronic', 7], ['serious', 2], ['disabled', 5]] as const);
  const disability = health === 'disabled'
    ? { category: pick<DisabilityCategory>(r, ['physical', 'physical', 'visual', 'hearing', 'speech', 'intellectual', 'mental', 'multiple']), grade: int(r, 1, 4) }
    : null;
  const working = age >= 16 && age <= 64 && schooling === 'none';
  let labor: Labor = 'none';
  if (working) labor = health === 'serious' || (disability && disability.grade <= 2) ? 'lost' : chance(r, 0.2) ? 'skilled' : 'ordinary';
  const employment: Employment = labor === 'ordinary' || labor === 'skilled'
    ? weighted(r, [['none', 3], ['in-township', 2], ['in-county', 2], ['in-province', 2], ['out-of-province', 3]] as const)
    : 'none';
  return {
    name: spec.name,
    gender: spec.male ? 'male' : 'female',
    idNumber,
    birthDate,
    relation: spec.relation,
    ethnicity: pick(r, ETHNIC),
    education,
    schooling,
    health,
    disability,
    labor,
    employment,
    monthsWorked: employment === 'none' ? 0 : int(r, 3, 12),
    homeSchooling: schooling !== 'none' && disability !== null && disability.grade <= 2 && chance(r, 0.5),
    insurance: { medical: chance(r, 0.98), seriousIllness: chance(r, 0.95), pension: age >= 16 && schooling === 'none' ? chance(r, 0.9) : null },
    phone: null,
  };
}

function phone(r: Rand): string {
  return `1${pick(r, ['3', '5', '7', '8', '9'])}${String(int(r, 0, 999999999)).padStart(9, '0')}`;
}

function makeHousehold(r: Rand, villageCode: string, n: number, asOf: string, makeId: (b: string, male: boolean) => string): Household {
  const surname = pick(r, [...SURNAMES]);
  const headMale = chance(r, 0.85);
  const headAge = weighted(r, [[int(r, 28, 45), 3], [int(r, 46, 65), 5], [int(r, 66, 88), 3]] as const);
  const members: Member[] = [makeMember(r, asOf, makeId, { name: personName(r, surname, headMale), male: headMale, age: headAge, relation: 'head' })];
  const spouseAlive = chance(r, headAge > 75 ? 0.45 : 0.8);
  if (spouseAlive) {
    members.push(makeMember(r, asOf, makeId, {
      name: personName(r, pick(r, [...SURNAMES]), !headMale), male: !headMale,
      age: Math.max(20, headAge + int(r, -6, 4)), relation: 'spouse',
    }));
  }
  const kids = headAge < 30 ? int(r, 0, 2) : headAge < 60 ? int(r, 1, 3) : int(r, 0, 2);
  for (let k = 0; k < kids; k++) {
    const male = chance(r, 0.52);
    const age = Math.max(0, headAge - int(r, 22, 34));
    members.push(makeMember(r, asOf, makeId, { name: personName(r, headMale ? surname : pick(r, [...SURNAMES]), male), male, age, relation: male ? 'son' : 'daughter' }));
  }
  if (headAge > 60 && chance(r, 0.35)) {
    const male = chance(r, 0.5);
    members.push(makeMember(r, asOf, makeId, { name: personName(r, surname, male), male, age: int(r, 1, 16), relation: male ? 'grandson' : 'granddaughter' }));
  }
  if (headAge < 50 && chance(r, 0.25)) {
    const male = chance(r, 0.4);
    members.push(makeMember(r, asOf, makeId, { name: personName(r, male ? surname : pick(r, [...SURNAMES]), male), male, age: Math.min(99, headAge + int(r, 22, 32)), relation: male ? 'father' : 'mother' }));
  }

  const status: HouseholdStatus = weighted(r, [['exited-supported', 62], ['exited', 14], ['poor', 4], ['returned', 1], ['none', 19]] as const);
  const inRegistry = status !== 'none';
  const tekun = inRegistry && members.length <= 2 && headAge > 60 && chance(r, 0.25);
  const dibao = !tekun && chance(r, inRegistry ? 0.22 : 0.08);
  const workers = members.filter((m) => m.employment !== 'none').length;
  const wage = workers * int(r, 6, 30) * 1000 * (r() * 0.5 + 0.5);
  const business = chance(r, 0.6) ? int(r, 1, 15) * 1000 : 0;
  const transfer = (dibao ? members.length * int(r, 2400, 4200) : 0) + (tekun ? int(r, 6000, 9000) : 0) + int(r, 200, 2400);
  const income = {
    wage: Math.round(wage), business, transfer, property: chance(r, 0.2) ? int(r, 100, 2000) : 0,
    productionCost: business > 0 ? Math.round(business * (0.2 + r() * 0.4)) : 0,
  };
  const monitored = status === 'none' ? chance(r, 0.4) : status === 'exited-supported' || status === 'exited' ? chance(r, 0.06) : false;
  const monitoringType: MonitoringType = status === 'none' ? (chance(r, 0.7) ? 'marginal' : 'sudden') : 'unstable';
  const identified = `${int(r, 2020, 2023)}-${String(int(r, 1, 12)).padStart(2, '0')}-${String(int(r, 1, 28)).padStart(2, '0')}`;
  const eliminated = monitored && chance(r, 0.4);
  const causeMain: PovertyCause = weighted(r, [['illness', 30], ['disability', 12], ['schooling', 8], ['disaster', 3], ['skills', 14], ['funds', 12], ['labor', 10], ['transport', 3], ['motivation', 4], ['land', 2], ['water', 1], ['other', 1]] as const);
  const supports: Household['supports'] = [];
  const add = (category: SupportCategory, amount: number | null): void => {
    supports.push({ category, since: `${int(r, 2016, 2023)}-${String(int(r, 1, 12)).padStart(2, '0')}-01`, until: null, amount });
  };
  if (dibao || tekun) add('basic-guarantee', int(r, 2, 9) * 1000);
  if (members.some((m) => m.schooling !== 'none' && m.schooling !== 'preschool') && chance(r, 0.7)) add('education', int(r, 1, 5) * 1000);
  if (business > 0 && chance(r, 0.6)) add('industry', int(r, 1, 5) * 1000);
  if (members.some((m) => m.health === 'chronic') && chance(r, 0.5)) add('chronic-illness', null);
  if (members.some((m) => m.disability) && chance(r, 0.6)) add('disability', int(r, 600, 2400));
  if (chance(r, 0.1)) add('microloan', 50000);
  const microloanBalance = supports.some((s) => s.category === 'microloan') ? int(r, 1, 5) * 10000 : 0;
  const helperLevel = pick(r, ['county', 'county', 'township', 'village'] as const);
  const helpers: Household['helpers'] = inRegistry || monitored
    ? [{ name: personName(r, pick(r, [...SURNAMES]), chance(r, 0.6)), unit: helperLevel === 'county' ? pick(r, UNITS) : helperLevel === 'township' ? '乡政府' : '村委会', level: helperLevel, since: `${int(r, 2016, 2022)}-01-01`, until: null, phone: phone(r) }]
    : [];
  const visits: Household['visits'] = [];
  for (let i = 0, count = helpers.length ? int(r, 1, 3) : 0; i < count; i++) {
    visits.push({ date: addDays(asOf, -int(r, 10, 700)), visitor: helpers[0].name, level: helpers[0].level, notes: pick(r, ['', '了解收入情况', '宣讲政策', '核实家庭人口', '查看住房安全']) });
  }
  visits.sort((a, b) => a.date.localeCompare(b.date));
  const risks: MonitoringRisk[] = monitored ? [weighted(r, [['illness', 5], ['schooling', 1], ['disability', 2], ['disaster', 1], ['accident', 1], ['unstable-employment', 2], ['lack-of-labor', 2]] as const)] : [];
  if (monitored && chance(r, 0.2)) risks.push('other');
  const exitYear = status === 'exited-supported' || status === 'exited' || status === 'returned' ? int(r, 2015, 2020) : null;
  return {
    code: `${villageCode}${String(n).padStart(6, '0')}`,
    regionCode: villageCode,
    group: `${['一', '二', '三', '四', '五', '六', '七', '八'][int(r, 0, 7)]}组`,
    status,
    exitYear,
    identifiedAt: inRegistry ? pick(r, ['2014-10-01', '2015-10-01', '2016-10-01', '2017-09-30']) : null,
    standard: inRegistry ? 'national' : null,
    dibao,
    tekun,
    tekunCare: tekun ? (chance(r, 0.3) ? 'concentrated' : 'dispersed') : null,
    causes: { main: inRegistry ? causeMain : null, others: inRegistry && chance(r, 0.4) ? [causeMain === 'funds' ? 'skills' : 'funds'] : [] },
    income,
    perCapitaNetIncome: null,
    housingSafe: chance(r, 0.97),
    waterSafe: chance(r, 0.98),
    wantsIndustry: chance(r, 0.5),
    badCredit: chance(r, 0.02),
    microloanBalance,
    medicalOutOfPocket: members.some((m) => m.health === 'serious' || m.health === 'chronic') ? int(r, 500, 30000) : 0,
    suddenHardship: monitored && monitoringType === 'sudden',
    monitoring: monitored
      ? { type: monitoringType, risks, identifiedAt: identified, riskEliminated: eliminated, eliminatedAt: eliminated ? addDays(identified, int(r, 90, 500)) : null }
      : null,
    helpers,
    supports,
    visits,
    phone: phone(r),
    members,
  };
}

/** 人均纯收入 as the national ledgers print it: (income − production cost) / persons, whole yuan. */
export function perCapitaNetIncome(h: Household): number | null {
  if (h.perCapitaNetIncome !== null) return h.perCapitaNetIncome;
  const i = h.income;
  if (h.members.length === 0) return null;
  const net = (i.wage ?? 0) + (i.business ?? 0) + (i.transfer ?? 0) + (i.property ?? 0) - (i.productionCost ?? 0);
  return Math.round(net / h.members.length);
}
