/**
 * Every closed list of the registry, defined once with its Chinese label and the variants people
 * type into ledgers. The Mongoose schema, the Joi schemas, the eligibility facts and the Excel
 * layouts all take their codes and labels from here (DESIGN.md "Vocabularies"; STYLE.md 13).
 *
 * This module imports nothing: it is plain data plus a few lookups, so every layer may use it.
 */

export interface VocabularyEntry<C extends string> {
  readonly code: C;
  /** The label the national system and the county ledgers use. */
  readonly label: string;
  /** Other spellings seen in real ledgers; matched after trimming, like the label. */
  readonly aliases: readonly string[];
}

export interface Vocabulary<C extends string> {
  /** Stable name, used in error details ("health must be one of …"). */
  readonly name: string;
  /** The Chinese name of the list, as ledger column headers write it. */
  readonly title: string;
  readonly entries: readonly VocabularyEntry<C>[];
  readonly codes: readonly C[];
}

type EntrySpec<C extends string> = readonly [code: C, label: string, ...aliases: string[]];

function vocabulary<const C extends string>(name: string, title: string, specs: readonly EntrySpec<C>[]): Vocabulary<C> {
  const entries = specs.map(([code, label, ...aliases]) => Object.freeze({ code, label, aliases: Object.freeze(aliases) }));
  return Object.freeze({ name, title, entries: Object.freeze(entries), codes: Object.freeze(entries.map((e) => e.code)) });
}

/** The type of a vocabulary's codes: `CodeOf<typeof health>` is `'healthy' | 'chronic' | …`. */
export type CodeOf<V> = V extends Vocabulary<infer C> ? C : never;

export function isCode<C extends string>(vocab: Vocabulary<C>, value: unknown): value is C {
  return typeof value === 'string' && (vocab.codes as readonly string[]).includes(value);
}

export function labelOf<C extends string>(vocab: Vocabulary<C>, code: C): string {
  const entry = vocab.entries.find((e) => e.code === code);
  if (!entry) throw new Error(`${vocab.name}: unknown code ${String(code)}`);
  return entry.label;
}

function normalise(text: string): string {
  // Ledgers mix full-width and half-width brackets and stray spaces: 乡(镇) / 乡（镇）.
  return text.trim().replace(/\s+/g, '').replace(/（/g, '(').replace(/）/g, ')');
}

/**
 * Reads a ledger cell as a code: the code itself, its label or one of its aliases. With
 * `prefix`, a cell that starts with a label also matches (在校生状况 "小学三年级" → primary);
 * the longest matching label wins so 高职 is not read as 高中.
 */
export function fromText<C extends string>(vocab: Vocabulary<C>, text: string, options: { prefix?: boolean } = {}): C | undefined {
  const cell = normalise(text);
  if (cell === '') return undefined;
  for (const e of vocab.entries) {
    if (e.code === cell || normalise(e.label) === cell || e.aliases.some((a) => normalise(a) === cell)) return e.code;
  }
  if (!options.prefix) return undefined;
  let best: { code: C; length: number } | undefined;
  for (const e of vocab.entries) {
    for (const word of [e.label, ...e.aliases].map(normalise)) {
      if (word !== '' && cell.startsWith(word) && (!best || word.length > best.length)) best = { code: e.code, length: word.length };
    }
  }
  return best?.code;
}

// ---------------------------------------------------------------- household

export const householdStatus = vocabulary('status', '脱贫状态', [
  ['poor', '未脱贫', '贫困户'],
  ['exited-supported', '已脱贫享受政策', '已脱贫(享受政策)', '脱贫享受政策'],
  ['exited', '已脱贫不再享受政策', '已脱贫(不再享受政策)', '脱贫不享受政策', '稳定脱贫'],
  ['returned', '返贫'],
  ['none', '非建档立卡', '非贫困户', '一般户'],
]);

/**
 * 贫困户属性 of the national system's ledgers: one column that carries both `dibao` and `tekun`
 * (一般贫困户 neither, 低保贫困户 dibao, 特困供养贫困户 / 五保贫困户 tekun).
 */
export const householdAttribute = vocabulary('attribute', '贫困户属性', [
  ['general', '一般贫困户', '一般户', '一般农户'],
  ['dibao', '低保贫困户', '低保户', '低保'],
  ['tekun', '特困供养贫困户', '五保贫困户', '特困供养户', '特困户', '五保户', '特困', '五保'],
]);

export const identificationStandard = vocabulary('standard', '识别标准', [
  ['national', '国家标准'],
  ['provincial', '省定标准'],
  ['municipal', '市定标准'],
]);

export const tekunCare = vocabulary('tekunCare', '特困供养方式', [
  ['concentrated', '集中供养'],
  ['dispersed', '分散供养'],
]);

export const povertyCause = vocabulary('causes', '致贫原因', [
  ['illness', '因病'],
  ['disability', '因残'],
  ['schooling', '因学'],
  ['disaster', '因灾'],
  ['marriage', '因婚'],
  ['land', '缺土地'],
  ['water', '缺水'],
  ['skills', '缺技术'],
  ['funds', '缺资金'],
  ['labor', '缺劳力', '缺劳动力'],
  ['transport', '交通条件落后', '交通落后'],
  ['motivation', '自身发展动力不足', '自身发展动力不足(缺乏内生动力)'],
  ['other', '其他'],
]);

export const monitoringType = vocabulary('monitoring.type', '监测对象类型', [
  ['unstable', '脱贫不稳定户'],
  ['marginal', '边缘易致贫户'],
  ['sudden', '突发严重困难户'],
]);

export const monitoringRisk = vocabulary('monitoring.risks', '风险类型', [
  ['illness', '因病'],
  ['schooling', '因学'],
  ['disability', '因残'],
  ['disaster', '因自然灾害', '因灾'],
  ['accident', '因意外事故'],
  ['industry-failure', '因产业项目失败'],
  ['unstable-employment', '因务工就业不稳'],
  ['lack-of-labor', '缺劳动力', '缺劳力'],
  ['other', '其他'],
]);

/** 帮扶责任人 and 走访记录 record the level of government the person comes from. */
export const officialLevel = vocabulary('level', '层级', [
  ['province', '省级', '省'],
  ['city', '市级', '市'],
  ['county', '县级', '县'],
  ['township', '乡级', '乡', '镇', '乡镇'],
  ['village', '村级', '村'],
]);

/** The eight support categories of POLICY.md, in its order; `supports[].category` uses them. */
export const supportCategory = vocabulary('supports.category', '帮扶措施类别', [
  ['basic-guarantee', '兜底保障'],
  ['disability', '残疾帮扶'],
  ['chronic-illness', '慢性病帮扶'],
  ['health', '健康扶贫'],
  ['education', '教育扶贫'],
  ['industry', '产业扶贫'],
  ['microloan', '扶贫小额贷款', '小额贷款', '小额信贷'],
  ['property-insurance', '家庭财产保险', '财产保险'],
]);

// ---------------------------------------------------------------- member

export const gender = vocabulary('gender', '性别', [
  ['male', '男'],
  ['female', '女'],
]);

export const relation = vocabulary('relation', '与户主关系', [
  ['head', '户主', '本人'],
  ['spouse', '配偶', '妻', '夫', '妻子', '丈夫'],
  ['son', '之子', '子', '儿子', '长子', '次子'],
  ['daughter', '之女', '女', '女儿', '长女', '次女'],
  ['son-in-law', '之女婿', '女婿'],
  ['daughter-in-law', '之儿媳', '儿媳'],
  ['grandson', '之孙子', '孙子'],
  ['granddaughter', '之孙女', '孙女'],
  ['father', '之父', '父亲'],
  ['mother', '之母', '母亲'],
  ['grandfather', '之祖父', '祖父'],
  ['grandmother', '之祖母', '祖母'],
  ['sibling', '兄弟姐妹', '兄', '弟', '姐', '妹'],
  ['other', '其他'],
]);

export const education = vocabulary('education', '文化程度', [
  ['illiterate', '文盲或半文盲', '文盲', '半文盲'],
  ['primary', '小学'],
  ['junior', '初中'],
  ['senior', '高中', '中专'],
  ['college', '大专及以上', '大专', '本科', '研究生'],
]);

export const schooling = vocabulary('schooling', '在校生状况', [
  ['none', '非在校生', '无', '不在校'],
  ['preschool', '学前教育', '学前', '幼儿园'],
  ['primary', '小学'],
  ['junior', '初中', '七年级', '八年级', '九年级'],
  ['senior', '高中', '普通高中'],
  ['secondary-vocational', '中职', '中专', '技校', '中等职业教育'],
  ['higher-vocational', '高职', '高职高专', '大专'],
  ['undergraduate', '本科及以上', '本科', '大学', '研究生'],
]);

export const health = vocabulary('health', '健康状况', [
  ['healthy', '健康'],
  ['chronic', '长期慢性病', '慢性病'],
  ['serious', '患有大病', '大病'],
  ['disabled', '残疾'],
]);

export const disabilityCategory = vocabulary('disability.category', '残疾类别', [
  ['visual', '视力残疾', '视力'],
  ['hearing', '听力残疾', '听力'],
  ['speech', '言语残疾', '言语'],
  ['physical', '肢体残疾', '肢体'],
  ['intellectual', '智力残疾', '智力'],
  ['mental', '精神残疾', '精神'],
  ['multiple', '多重残疾', '多重'],
]);

/** 残疾等级 一级 (most severe) to 四级; grades 1 and 2 are "severely disabled" (POLICY.md). */
export const disabilityGrade = vocabulary('disability.grade', '残疾等级', [
  ['1', '一级', '1级'],
  ['2', '二级', '2级'],
  ['3', '三级', '3级'],
  ['4', '四级', '4级'],
]);

export const labor = vocabulary('labor', '劳动技能', [
  ['ordinary', '普通劳动力'],
  ['skilled', '技能劳动力'],
  ['lost', '丧失劳动力'],
  ['none', '无劳动力'],
]);

export const employment = vocabulary('employment', '务工状况', [
  ['none', '无', '未务工'],
  ['in-township', '乡(镇)内务工', '乡镇内务工'],
  ['in-county', '乡(镇)外县内务工', '县内务工'],
  ['in-province', '县外省内务工', '省内务工'],
  ['out-of-province', '省外务工'],
  ['other', '其他'],
]);

/** Ledger yes/no columns (危房户, 饮水安全, 参加大病医疗 …): the marks cadres actually type. */
export const yesNo = vocabulary('yesNo', '是/否', [
  ['yes', '是', '√', '✓', 'Y', 'y', '有', '1'],
  ['no', '否', '×', '✗', 'N', 'n', '无', '0'],
]);

export type HouseholdStatus = CodeOf<typeof householdStatus>;
export type IdentificationStandard = CodeOf<typeof identificationStandard>;
export type TekunCare = CodeOf<typeof tekunCare>;
export type PovertyCause = CodeOf<typeof povertyCause>;
export type MonitoringType = CodeOf<typeof monitoringType>;
export type MonitoringRisk = CodeOf<typeof monitoringRisk>;
export type OfficialLevel = CodeOf<typeof officialLevel>;
export type SupportCategory = CodeOf<typeof supportCategory>;
export type Gender = CodeOf<typeof gender>;
export type Relation = CodeOf<typeof relation>;
export type Education = CodeOf<typeof education>;
export type Schooling = CodeOf<typeof schooling>;
export type Health = CodeOf<typeof health>;
export type DisabilityCategory = CodeOf<typeof disabilityCategory>;
export type Labor = CodeOf<typeof labor>;
export type Employment = CodeOf<typeof employment>;

/** Students by POLICY.md "student": every 在校生状况 except `none`. */
export const studentSchooling: readonly Schooling[] = schooling.codes.filter((c) => c !== 'none');
