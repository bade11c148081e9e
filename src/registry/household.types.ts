/**
 * The household as JSON: the API's contract (DESIGN.md "The household as JSON"). The Mongoose
 * model stores this shape, the Joi schemas validate it, eligibility evaluates it and the ledgers
 * read and write it. Dates are `YYYY-MM-DD` strings: a 识别时间 is a calendar day, not an
 * instant, and strings keep it from shifting by a time zone.
 */
import type {
  DisabilityCategory, Education, Employment, Gender, Health, HouseholdStatus, IdentificationStandard,
  Labor, MonitoringRisk, MonitoringType, OfficialLevel, PovertyCause, Relation, Schooling,
  SupportCategory, TekunCare,
} from './vocabulary';

export type IsoDate = string;

export interface Disability {
  category: DisabilityCategory | null;
  /** 1–4; 1 and 2 are severe. */
  grade: number | null;
}

export interface Insurance {
  medical: boolean | null;
  seriousIllness: boolean | null;
  pension: boolean | null;
}

export interface Member {
  /** Assigned by the registry; absent on input. */
  id?: string;
  name: string;
  gender: Gender | null;
  /** 18-digit 身份证 or 20/22-digit 残疾人证 number, upper-case X. */
  idNumber: string;
  birthDate: IsoDate | null;
  relation: Relation;
  ethnicity: string | null;
  education: Education | null;
  schooling: Schooling | null;
  health: Health | null;
  disability: Disability | null;
  labor: Labor | null;
  employment: Employment | null;
  monthsWorked: number | null;
  homeSchooling: boolean;
  insurance: Insurance;
  phone?: string | null;
}

export interface Income {
  wage: number | null;
  business: number | null;
  transfer: number | null;
  property: number | null;
  productionCost: number | null;
}

export interface Monitoring {
  type: MonitoringType | null;
  risks: MonitoringRisk[];
  identifiedAt: IsoDate | null;
  riskEliminated: boolean;
  eliminatedAt: IsoDate | null;
}

export interface Helper {
  name: string;
  unit: string | null;
  level: OfficialLevel | null;
  since: IsoDate | null;
  until?: IsoDate | null;
  phone?: string | null;
}

export interface Support {
  category: SupportCategory;
  since: IsoDate | null;
  until: IsoDate | null;
  amount: number | null;
}

export interface Visit {
  date: IsoDate;
  visitor: string;
  level: OfficialLevel | null;
  notes: string;
}

export interface Household {
  /** 户编号, unique. */
  code: string;
  /** The village's 12-digit 统计用区划代码. */
  regionCode: string;
  /** 自然村 / 组. */
  group: string | null;
  status: HouseholdStatus;
  exitYear: number | null;
  identifiedAt: IsoDate | null;
  standard: IdentificationStandard | null;
  dibao: boolean;
  tekun: boolean;
  tekunCare: TekunCare | null;
  causes: { main: PovertyCause | null; others: PovertyCause[] };
  income: Income;
  /** As given by a ledger that only has 人均纯收入; null when computed from `income`. */
  perCapitaNetIncome: number | null;
  housingSafe: boolean | null;
  waterSafe: boolean | null;
  wantsIndustry: boolean | null;
  badCredit: boolean | null;
  microloanBalance: number | null;
  medicalOutOfPocket: number | null;
  suddenHardship: boolean | null;
  monitoring: Monitoring | null;
  helpers: Helper[];
  supports: Support[];
  visits: Visit[];
  phone?: string | null;
  members: Member[];
}

/** What the registry hands back: the contract plus bookkeeping. */
export interface StoredHousehold extends Household {
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy?: string | null;
  updatedBy?: string | null;
}
