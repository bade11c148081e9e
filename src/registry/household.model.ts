/**
 * The household aggregate as stored: one document per household with its members embedded, so a
 * household is written atomically (DESIGN.md "Database"). Field names are the JSON contract's
 * (household.types.ts); the closed lists come from vocabulary.ts.
 *
 * Stored but never shown: `_id`, each member's `personId` (the first 18 characters of its ID
 * number: a 残疾人证 and a 身份证 of the same person share it, and the unique multikey index on it
 * keeps a person in one household). `toHouseholdJson` is the one place that turns a stored
 * document into the contract's JSON, and the schema's toJSON uses it too.
 */
import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import type { Member, StoredHousehold } from './household.types';
import {
  disabilityCategory, education, employment, gender, health, householdStatus, identificationStandard, labor,
  monitoringRisk, monitoringType, officialLevel, povertyCause, relation, schooling, supportCategory, tekunCare,
} from './vocabulary';

const nullableString = { type: String, default: null };
const nullableNumber = { type: Number, default: null };
const nullableBoolean = { type: Boolean, default: null };
const enumOf = (codes: readonly string[], required = false) =>
  required ? { type: String, enum: [...codes], required: true } : { type: String, enum: [...codes], default: null };

const disabilitySchema = new Schema(
  { category: enumOf(disabilityCategory.codes), grade: { type: Number, min: 1, max: 4, default: null } },
  { _id: false, strict: 'throw' },
);

const insuranceSchema = new Schema(
  { medical: nullableBoolean, seriousIllness: nullableBoolean, pension: nullableBoolean },
  { _id: false, strict: 'throw' },
);

const memberSchema = new Schema(
  {
    name: { type: String, required: true },
    gender: enumOf(gender.codes),
    idNumber: { type: String, default: null },
    personId: { type: String, default: undefined },
    birthDate: nullableString,
    relation: enumOf(relation.codes, true),
    ethnicity: nullableString,
    education: enumOf(education.codes),
    schooling: enumOf(schooling.codes),
    health: enumOf(health.codes),
    disability: { type: disabilitySchema, default: null },
    labor: enumOf(labor.codes),
    employment: enumOf(employment.codes),
    monthsWorked: { type: Number, min: 0, max: 12, default: null },
    homeSchooling: { type: Boolean, default: false },
    insurance: { type: insuranceSchema, default: () => ({ medical: null, seriousIllness: null, pension: null }) },
    phone: nullableString,
  },
  { strict: 'throw' },
);

/** The key that keeps a person in one household: the first 18 characters of any of their card numbers. */
export function personIdOf(idNumber: string | null | undefined, memberId: unknown): string {
  return typeof idNumber === 'string' && idNumber.length >= 18 ? idNumber.slice(0, 18).toUpperCase() : `none:${String(memberId)}`;
}

// Direct model writes (seeding, benchmarks) get the same key as the service computes.
memberSchema.pre('validate', function derivePersonId() {
  this.personId = personIdOf(this.idNumber, this._id);
});

const incomeSchema = new Schema(
  { wage: nullableNumber, business: nullableNumber, transfer: nullableNumber, property: nullableNumber, productionCost: nullableNumber },
  { _id: false, strict: 'throw' },
);

// `type` is a field here (监测对象类型), so this schema declares types with `$type`.
const monitoringSchema = new Schema(
  {
    type: { $type: String, enum: [...monitoringType.codes], default: null },
    risks: { $type: [{ $type: String, enum: [...monitoringRisk.codes] }], default: [] },
    identifiedAt: { $type: String, default: null },
    riskEliminated: { $type: Boolean, default: false },
    eliminatedAt: { $type: String, default: null },
  },
  { _id: false, strict: 'throw', typeKey: '$type' },
);

const helperSchema = new Schema(
  { name: { type: String, required: true }, unit: nullableString, level: enumOf(officialLevel.codes), since: nullableString, until: nullableString, phone: nullableString },
  { _id: false, strict: 'throw' },
);

const supportSchema = new Schema(
  { category: enumOf(supportCategory.codes, true), since: nullableString, until: nullableString, amount: nullableNumber },
  { _id: false, strict: 'throw' },
);

const visitSchema = new Schema(
  { date: { type: String, required: true }, visitor: { type: String, required: true }, level: enumOf(officialLevel.codes), notes: { type: String, default: '' } },
  { _id: false, strict: 'throw' },
);

const causesSchema = new Schema(
  { main: enumOf(povertyCause.codes), others: { type: [{ type: String, enum: [...povertyCause.codes] }], default: [] } },
  { _id: false, strict: 'throw' },
);

const householdSchema = new Schema(
  {
    code: { type: String, required: true },
    regionCode: { type: String, required: true, match: /^\d{12}$/ },
    group: nullableString,
    status: enumOf(householdStatus.codes, true),
    exitYear: nullableNumber,
    identifiedAt: nullableString,
    standard: enumOf(identificationStandard.codes),
    dibao: { type: Boolean, default: false },
    tekun: { type: Boolean, default: false },
    tekunCare: enumOf(tekunCare.codes),
    causes: { type: causesSchema, default: () => ({ main: null, others: [] }) },
    income: { type: incomeSchema, default: () => ({}) },
    perCapitaNetIncome: nullableNumber,
    housingSafe: nullableBoolean,
    waterSafe: nullableBoolean,
    wantsIndustry: nullableBoolean,
    badCredit: nullableBoolean,
    microloanBalance: nullableNumber,
    medicalOutOfPocket: nullableNumber,
    suddenHardship: nullableBoolean,
    monitoring: { type: monitoringSchema, default: null },
    helpers: { type: [helperSchema], default: [] },
    supports: { type: [supportSchema], default: [] },
    visits: { type: [visitSchema], default: [] },
    phone: nullableString,
    members: { type: [memberSchema], default: [] },
    /** Bumped by every write; a PATCH must carry the version it read. */
    version: { type: Number, required: true, default: 1, min: 1 },
    createdBy: nullableString,
    updatedBy: nullableString,
  },
  {
    timestamps: true,
    versionKey: false,
    strict: 'throw',
    strictQuery: 'throw',
    toJSON: { transform: (_doc, ret) => toHouseholdJson(ret as unknown as StoredHouseholdDoc) },
  },
);

householdSchema.index({ code: 1 }, { unique: true });
householdSchema.index({ regionCode: 1 });
householdSchema.index({ status: 1 });
// One person, one household: a unique multikey index on the members' personId. A partial filter
// cannot exempt members without an ID number (it is evaluated per document, and a multikey
// index gives a member lacking the field a null key that would collide), so such a member gets
// a personId of its own instead (`none:<member id>`, see personIdOf). Every member then has a
// distinct key, the index needs no filter, and lookups by personId can be served from it.
householdSchema.index({ 'members.personId': 1 }, { unique: true });

export type HouseholdDoc = InferSchemaType<typeof householdSchema>;

/** What `lean()` gives back: the stored shape, loosely typed at the edges. */
export interface StoredMemberDoc extends Omit<Member, 'id'> {
  _id: mongoose.Types.ObjectId | string;
  personId?: string | null;
}
export interface StoredHouseholdDoc extends Omit<StoredHousehold, 'members' | 'createdAt' | 'updatedAt'> {
  _id?: unknown;
  __v?: unknown;
  createdAt: Date | string;
  updatedAt: Date | string;
  members: StoredMemberDoc[];
}

const registerHouseholdModel = () => mongoose.model('Household', householdSchema, 'households');
export const HouseholdModel: ReturnType<typeof registerHouseholdModel> =
  (mongoose.models.Household as ReturnType<typeof registerHouseholdModel> | undefined) ?? registerHouseholdModel();

const isoInstant = (v: Date | string | null | undefined): string => (v instanceof Date ? v.toISOString() : String(v ?? ''));

/** Member in stored order of the contract (DESIGN.md JSON), with `id`; no `personId`. */
function memberJson(m: StoredMemberDoc): Member {
  return {
    id: String(m._id),
    name: m.name,
    gender: m.gender ?? null,
    idNumber: m.idNumber,
    birthDate: m.birthDate ?? null,
    relation: m.relation,
    ethnicity: m.ethnicity ?? null,
    education: m.education ?? null,
    schooling: m.schooling ?? null,
    health: m.health ?? null,
    disability: m.disability ? { category: m.disability.category ?? null, grade: m.disability.grade ?? null } : null,
    labor: m.labor ?? null,
    employment: m.employment ?? null,
    monthsWorked: m.monthsWorked ?? null,
    homeSchooling: m.homeSchooling ?? false,
    insurance: {
      medical: m.insurance?.medical ?? null,
      seriousIllness: m.insurance?.seriousIllness ?? null,
      pension: m.insurance?.pension ?? null,
    },
    phone: m.phone ?? null,
  };
}

/** The one conversion from a stored document (lean or hydrated) to the contract's JSON. */
export function toHouseholdJson(doc: StoredHouseholdDoc): StoredHousehold {
  const income = doc.income ?? ({} as StoredHousehold['income']);
  return {
    code: doc.code,
    regionCode: doc.regionCode,
    group: doc.group ?? null,
    status: doc.status,
    exitYear: doc.exitYear ?? null,
    identifiedAt: doc.identifiedAt ?? null,
    standard: doc.standard ?? null,
    dibao: doc.dibao ?? false,
    tekun: doc.tekun ?? false,
    tekunCare: doc.tekunCare ?? null,
    causes: { main: doc.causes?.main ?? null, others: [...(doc.causes?.others ?? [])] },
    income: {
      wage: income.wage ?? null,
      business: income.business ?? null,
      transfer: income.transfer ?? null,
      property: income.property ?? null,
      productionCost: income.productionCost ?? null,
    },
    perCapitaNetIncome: doc.perCapitaNetIncome ?? null,
    housingSafe: doc.housingSafe ?? null,
    waterSafe: doc.waterSafe ?? null,
    wantsIndustry: doc.wantsIndustry ?? null,
    badCredit: doc.badCredit ?? null,
    microloanBalance: doc.microloanBalance ?? null,
    medicalOutOfPocket: doc.medicalOutOfPocket ?? null,
    suddenHardship: doc.suddenHardship ?? null,
    monitoring: doc.monitoring
      ? {
        type: doc.monitoring.type ?? null,
        risks: [...(doc.monitoring.risks ?? [])],
        identifiedAt: doc.monitoring.identifiedAt ?? null,
        riskEliminated: doc.monitoring.riskEliminated ?? false,
        eliminatedAt: doc.monitoring.eliminatedAt ?? null,
      }
      : null,
    helpers: (doc.helpers ?? []).map((h) => ({ name: h.name, unit: h.unit ?? null, level: h.level ?? null, since: h.since ?? null, until: h.until ?? null, phone: h.phone ?? null })),
    supports: (doc.supports ?? []).map((s) => ({ category: s.category, since: s.since ?? null, until: s.until ?? null, amount: s.amount ?? null })),
    visits: (doc.visits ?? []).map((v) => ({ date: v.date, visitor: v.visitor, level: v.level ?? null, notes: v.notes ?? '' })),
    phone: doc.phone ?? null,
    members: (doc.members ?? []).map(memberJson),
    version: doc.version,
    createdAt: isoInstant(doc.createdAt),
    updatedAt: isoInstant(doc.updatedAt),
    createdBy: doc.createdBy ?? null,
    updatedBy: doc.updatedBy ?? null,
  };
}
