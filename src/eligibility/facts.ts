/**
 * Facts are code (DESIGN.md "Rules"; STYLE.md 17): this module turns one household and an as-of
 * date into the flat object of numbers and flags the rules compare, once per evaluation. Each
 * fact is a small pure function under `facts/`; this file only names them and assembles them.
 *
 * A fact that cannot be computed is `undefined` (never 0 or false): the rules that need it are
 * then undetermined and name it. `null` is a known "nothing" (a household that is no 特困 has no
 * care mode).
 */
import type { Household, Member } from '../registry/household.types';
import { isRealDate, parseIdNumber } from '../registry/id-number';
import { fullYears } from './facts/age.fact';
import { countMembers } from './facts/count.fact';
import { isChronic, isChronicSeriousOrDisabled, isDisabled, isSeriouslyIll, isSeverelyDisabled } from './facts/health.fact';
import {
  amount, declaredMemberCountDiffers, flag, headCount, memberCount, membersOf, tekunCareOf,
} from './facts/household.fact';
import { duplicatePersonIds, invalidIdNumberCount } from './facts/identity.fact';
import { householdNetIncome, medicalBurden, netIncome, perCapitaNetIncome } from './facts/income.fact';
import { isUninsured } from './facts/insurance.fact';
import { isAbleToWork, isMicroloanEligibleMember } from './facts/labor.fact';
import { countInForce, identificationDate, monthsSinceIdentified } from './facts/measures.fact';
import { inPolicyOrMonitored, isInPolicy, isMonitored, isMonitoredOpenRisk } from './facts/policy.fact';
import { isDropout, isStudent, isVocationalStudent, type AgeRange } from './facts/schooling.fact';

/** Parameter values in force for one household on one date, by parameter name. */
export type ParameterValues = Readonly<Record<string, unknown>>;

interface MemberPredicate {
  description: string;
  /** Parameters the predicate reads; rules that use its count depend on them too. */
  parameters: readonly string[];
  /**
   * The age-range parameter the test needs (laborAge …): while none is in force, or it is not a
   * { min, max }, the predicate is unknown for every member.
   */
  range?: string;
  test(member: Partial<Member>, age: number | undefined, range: AgeRange): boolean | undefined;
}

function range(value: unknown): AgeRange | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { min, max } = value as Record<string, unknown>;
  return typeof min === 'number' && typeof max === 'number' ? { min, max } : undefined;
}

/**
 * Who a category or sub-benefit counts ("persons counted" in POLICY.md). Each predicate also
 * gives the household fact `<name>Count`.
 */
export const memberPredicates = {
  all: { description: '全部家庭成员', parameters: [], test: () => true },
  disabled: { description: '残疾人（残疾等级一至四级或健康状况为残疾）', parameters: [], test: isDisabled },
  severelyDisabled: { description: '重度残疾人（一级、二级）', parameters: [], test: isSeverelyDisabled },
  chronic: { description: '长期慢性病患者', parameters: [], test: isChronic },
  seriouslyIll: { description: '大病患者', parameters: [], test: isSeriouslyIll },
  chronicSeriousOrDisabled: { description: '慢性病、大病患者或残疾人', parameters: [], test: isChronicSeriousOrDisabled },
  student: { description: '在校生', parameters: [], test: isStudent },
  vocationalStudent: { description: '中职、高职在校生', parameters: [], test: isVocationalStudent },
  dropout: { description: '义务教育阶段辍学（未送教上门）', parameters: ['compulsorySchoolAge'], range: 'compulsorySchoolAge', test: isDropout },
  ableToWork: { description: '有劳动能力（普通或技能劳动力，劳动年龄内）', parameters: ['laborAge'], range: 'laborAge', test: isAbleToWork },
  microloanEligibleMember: {
    description: '可申请小额信贷的成员（普通或技能劳动力，借款年龄内）', parameters: ['microloan.age'], range: 'microloan.age',
    test: isMicroloanEligibleMember,
  },
  uninsured: { description: '未参加基本医疗保险', parameters: [], test: isUninsured },
} satisfies Record<string, MemberPredicate>;

export type MemberPredicateName = keyof typeof memberPredicates;
export const memberPredicateNames = Object.keys(memberPredicates) as MemberPredicateName[];

export interface FactDefinition {
  description: string;
  /** Parameters the fact reads. */
  parameters: readonly string[];
}

const householdFacts: Record<string, FactDefinition> = {
  status: { description: '脱贫状态', parameters: [] },
  inPolicy: { description: '享受政策（未脱贫、已脱贫享受政策、返贫，或风险未消除的监测对象）', parameters: [] },
  monitored: { description: '防返贫监测对象', parameters: [] },
  monitoredOpenRisk: { description: '风险未消除的监测对象', parameters: [] },
  inPolicyOrMonitored: { description: '享受政策或为监测对象（两不愁三保障核查的范围）', parameters: [] },
  dibao: { description: '低保户', parameters: [] },
  tekun: { description: '特困供养户', parameters: [] },
  tekunCare: { description: '特困供养方式', parameters: [] },
  memberCount: { description: '家庭人口数（列出的成员）', parameters: [] },
  listedMemberCount: { description: '列出的成员数（可为 0）', parameters: [] },
  headCount: { description: '户主人数', parameters: [] },
  netIncome: { description: '家庭纯收入（元/年）', parameters: [] },
  perCapitaNetIncome: { description: '人均纯收入（元/年）', parameters: [] },
  medicalBurden: { description: '合规自付医疗费用占家庭纯收入的比例', parameters: [] },
  housingSafe: { description: '住房安全', parameters: [] },
  waterSafe: { description: '饮水安全', parameters: [] },
  wantsIndustry: { description: '有发展产业意愿', parameters: [] },
  badCredit: { description: '有不良信用记录', parameters: [] },
  microloanBalance: { description: '扶贫小额信贷余额（元）', parameters: [] },
  suddenHardship: { description: '突发严重困难', parameters: [] },
  helperCount: { description: '在岗帮扶责任人数', parameters: [] },
  supportCount: { description: '在享帮扶措施数', parameters: [] },
  monthsSinceIdentified: { description: '识别（纳入监测）后整月数', parameters: [] },
  invalidIdNumberCount: { description: '证件号码不符合 GB 11643 的成员数', parameters: [] },
  duplicatePersonCount: { description: '与本户或其他户重复登记的成员数', parameters: [] },
  memberCountDiffers: { description: '台账家庭人口数与列出成员数不一致', parameters: [] },
};

/** Every fact a rule may name, with what it means and the parameters it reads. */
export const factCatalogue: Readonly<Record<string, FactDefinition>> = {
  ...householdFacts,
  ...Object.fromEntries(memberPredicateNames.filter((n) => n !== 'all').map((n) => [
    `${n}Count`, { description: `${memberPredicates[n].description}人数`, parameters: memberPredicates[n].parameters },
  ])),
};

export interface FactContext {
  /** Person ids of households evaluated earlier in the same run. */
  seenPersonIds?: ReadonlySet<string>;
  /** Already worked out by the caller (a run's main thread); wins over `seenPersonIds`. */
  duplicatePersonIds?: readonly string[];
}

export interface HouseholdFacts {
  /** The flat fact object the rules read (fact name → value). */
  values: Record<string, unknown>;
  /** Per predicate, one flag per member, in the order of `members`. */
  memberFlags: Record<MemberPredicateName, (boolean | undefined)[]>;
  /** Person ids of the members (undefined where the ID number is invalid). */
  personIds: (string | undefined)[];
  duplicatePersonIds: string[];
}

/** The fact object for one household on `asOf`, with parameter values already resolved. */
export function computeFacts(household: Partial<Household>, asOf: string, params: ParameterValues, context: FactContext = {}): HouseholdFacts {
  const members = membersOf(household);
  const listed = members.length;
  const count = memberCount(members);

  // This runs for every member of every household of a county run: each ID number is parsed
  // once, for the person key and, when the record has no usable birth date, the age (one
  // `today` for the household, as `personIdsOf` takes it).
  const today = new Date();
  const ages: (number | undefined)[] = [];
  const personIds: (string | undefined)[] = [];
  for (const member of members) {
    const parsed = parseIdNumber(member.idNumber, today);
    personIds.push(parsed.valid ? parsed.personId : undefined);
    const recorded = member.birthDate;
    const birthDate = typeof recorded === 'string' && isRealDate(recorded) ? recorded : parsed.valid ? parsed.birthDate : undefined;
    ages.push(birthDate === undefined || birthDate > asOf ? undefined : fullYears(birthDate, asOf));
  }

  // The predicates of `memberPredicates`, in its order, in one pass over the members (the flags
  // of a predicate with a range are unknown while the range is not in force). Written out rather
  // than looped over: a call through the table by name could not be inlined, and under tsx an
  // imported function called by its import name goes through a module getter each time (such
  // getters were ~5% of a determination's profile). test/eligibility/facts.test.ts checks the
  // order and the answers against the table.
  const P = memberPredicates;
  const schoolAge = range(params[P.dropout.range]);
  const laborAge = range(params[P.ableToWork.range]);
  const loanAge = range(params[P.microloanEligibleMember.range]);
  const memberFlags: Record<MemberPredicateName, (boolean | undefined)[]> = {
    all: [], disabled: [], severelyDisabled: [], chronic: [], seriouslyIll: [], chronicSeriousOrDisabled: [],
    student: [], vocationalStudent: [], dropout: [], ableToWork: [], microloanEligibleMember: [], uninsured: [],
  };
  for (let i = 0; i < listed; i++) {
    const m = members[i];
    const age = ages[i];
    memberFlags.all.push(P.all.test());
    memberFlags.disabled.push(P.disabled.test(m));
    memberFlags.severelyDisabled.push(P.severelyDisabled.test(m));
    memberFlags.chronic.push(P.chronic.test(m));
    memberFlags.seriouslyIll.push(P.seriouslyIll.test(m));
    memberFlags.chronicSeriousOrDisabled.push(P.chronicSeriousOrDisabled.test(m));
    memberFlags.student.push(P.student.test(m));
    memberFlags.vocationalStudent.push(P.vocationalStudent.test(m));
    memberFlags.dropout.push(schoolAge === undefined ? undefined : P.dropout.test(m, age, schoolAge));
    memberFlags.ableToWork.push(laborAge === undefined ? undefined : P.ableToWork.test(m, age, laborAge));
    memberFlags.microloanEligibleMember.push(loanAge === undefined ? undefined : P.microloanEligibleMember.test(m, age, loanAge));
    memberFlags.uninsured.push(P.uninsured.test(m));
  }

  const net = netIncome(household.income);
  const perCapita = perCapitaNetIncome(household.perCapitaNetIncome, net, listed);
  const monitoredOpenRisk = isMonitoredOpenRisk(household);
  const duplicates = context.duplicatePersonIds ? [...context.duplicatePersonIds] : duplicatePersonIds(personIds, context.seenPersonIds);

  const values: Record<string, unknown> = {
    status: typeof household.status === 'string' ? household.status : undefined,
    inPolicy: isInPolicy(household),
    monitored: isMonitored(household),
    monitoredOpenRisk,
    inPolicyOrMonitored: inPolicyOrMonitored(household),
    dibao: flag(household.dibao),
    tekun: flag(household.tekun),
    tekunCare: tekunCareOf(household),
    memberCount: count,
    listedMemberCount: listed,
    headCount: headCount(members),
    netIncome: net,
    perCapitaNetIncome: perCapita,
    medicalBurden: medicalBurden(household.medicalOutOfPocket, householdNetIncome(net, perCapita, listed)),
    housingSafe: flag(household.housingSafe),
    waterSafe: flag(household.waterSafe),
    wantsIndustry: flag(household.wantsIndustry),
    badCredit: flag(household.badCredit),
    microloanBalance: amount(household.microloanBalance),
    suddenHardship: flag(household.suddenHardship),
    helperCount: countInForce(household.helpers, asOf),
    supportCount: countInForce(household.supports, asOf),
    monthsSinceIdentified: monthsSinceIdentified(identificationDate(household, monitoredOpenRisk), asOf),
    invalidIdNumberCount: invalidIdNumberCount(personIds),
    duplicatePersonCount: duplicates.length,
    memberCountDiffers: declaredMemberCountDiffers(household as Record<string, unknown>, listed),
    // `<predicate>Count` for every member predicate but `all`, in the order of `memberPredicates`.
    disabledCount: countMembers(memberFlags.disabled),
    severelyDisabledCount: countMembers(memberFlags.severelyDisabled),
    chronicCount: countMembers(memberFlags.chronic),
    seriouslyIllCount: countMembers(memberFlags.seriouslyIll),
    chronicSeriousOrDisabledCount: countMembers(memberFlags.chronicSeriousOrDisabled),
    studentCount: countMembers(memberFlags.student),
    vocationalStudentCount: countMembers(memberFlags.vocationalStudent),
    dropoutCount: countMembers(memberFlags.dropout),
    ableToWorkCount: countMembers(memberFlags.ableToWork),
    microloanEligibleMemberCount: countMembers(memberFlags.microloanEligibleMember),
    uninsuredCount: countMembers(memberFlags.uninsured),
  };
  return { values, memberFlags, personIds, duplicatePersonIds: duplicates };
}
