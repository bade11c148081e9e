/**
 * Builders of VALID households and members (STYLE.md 21): every call gives distinct ID numbers
 * and household codes, so tests only spell out what they are about.
 */
import type { Household, Member } from '../../src/registry/household.types';
import { nextIdNumber } from './id-numbers';

export const TEST_VILLAGE = '421122001001';

let householdCounter = 0;

type MemberInput = Omit<Member, 'id'>;

export function buildMember(overrides: Partial<MemberInput> = {}): MemberInput {
  const gender = overrides.gender ?? 'male';
  const idNumber = overrides.idNumber ?? nextIdNumber({ gender: gender ?? 'male' });
  return {
    name: '张三',
    gender,
    idNumber,
    birthDate: overrides.idNumber ? null : `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`,
    relation: 'head',
    ethnicity: '汉族',
    education: 'primary',
    schooling: 'none',
    health: 'healthy',
    disability: null,
    labor: 'ordinary',
    employment: 'none',
    monthsWorked: 0,
    homeSchooling: false,
    insurance: { medical: true, seriousIllness: true, pension: true },
    phone: null,
    ...overrides,
  };
}

/** A household code in the village: the 12-digit village code plus a 6-digit serial. */
export function nextHouseholdCode(regionCode = TEST_VILLAGE): string {
  householdCounter += 1;
  return `${regionCode}${String((process.pid % 100) * 10000 + householdCounter).padStart(6, '0')}`;
}

export function buildHousehold(overrides: Partial<Household> = {}): Household {
  const regionCode = overrides.regionCode ?? TEST_VILLAGE;
  return {
    code: nextHouseholdCode(regionCode),
    regionCode,
    group: '三组',
    status: 'poor',
    exitYear: null,
    identifiedAt: '2014-10-01',
    standard: 'national',
    dibao: false,
    tekun: false,
    tekunCare: null,
    causes: { main: 'illness', others: ['skills'] },
    income: { wage: 12000, business: 3000, transfer: 2400, property: 0, productionCost: 1500 },
    perCapitaNetIncome: null,
    housingSafe: true,
    waterSafe: true,
    wantsIndustry: true,
    badCredit: false,
    microloanBalance: 0,
    medicalOutOfPocket: 0,
    suddenHardship: false,
    monitoring: null,
    helpers: [{ name: '王伟', unit: '县农业农村局', level: 'county', since: '2021-01-01', until: null, phone: null }],
    supports: [{ category: 'education', since: '2023-09-01', until: null, amount: 3000 }],
    visits: [{ date: '2024-05-10', visitor: '李明', level: 'township', notes: '' }],
    phone: null,
    members: [
      buildMember({ name: '张三', relation: 'head', gender: 'male' }),
      buildMember({ name: '李四', relation: 'spouse', gender: 'female' }),
    ],
    ...overrides,
  };
}
