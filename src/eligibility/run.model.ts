import mongoose, { Schema, type InferSchemaType } from 'mongoose';

/**
 * An eligibility run over a region (DESIGN.md runs API) and its stored result per household. The
 * run keeps the rule set's id, version and hash and the parameter files' content it used, so a
 * run can be reproduced later against the same rules.
 */
const runSchema = new Schema(
  {
    status: { type: String, enum: ['queued', 'running', 'done', 'failed'], required: true },
    regionCode: { type: String, required: true },
    asOf: { type: String, required: true },
    createdBy: { userId: String, username: String, role: String },
    /** The caller's region subtrees at start: the run reads households as that caller would. */
    scope: { type: [String], default: [] },
    ruleSet: { id: String, version: String, hash: String },
    additions: { type: [{ _id: false, id: String, version: String }], default: [] },
    /** Every parameter as loaded (values by date and regional overrides). */
    parameters: { type: Schema.Types.Mixed, default: null },
    /** Rule and sub-benefit id → name: stored results leave names out (determination.codec.ts). */
    ruleNames: { type: Schema.Types.Mixed, default: null },
    /** What every household's conditions share, stored once (determination.codec.ts `runTemplates`). */
    conditionTemplates: { type: Schema.Types.Mixed, default: null },
    /**
     * The parameter block of a household of the run's region, as [name, value, effectiveFrom,
     * region] in order; stored results that have exactly it leave theirs out (determination.codec.ts
     * `RunShared`). null: a run stored before, whose results keep theirs.
     */
    householdParameters: { type: Schema.Types.Mixed, default: null },
    progress: { done: { type: Number, default: 0 }, total: { type: Number, default: 0 } },
    /** Households evaluated per second so far. */
    rate: { type: Number, default: 0 },
    workers: { type: Number, default: 0 },
    summary: { type: Schema.Types.Mixed, default: null },
    error: { type: String, default: null },
    createdAt: { type: Date, default: () => new Date() },
    startedAt: { type: Date, default: null },
    finishedAt: { type: Date, default: null },
  },
  { versionKey: false, strict: 'throw' },
);
runSchema.index({ createdAt: -1 });

const resultSchema = new Schema(
  {
    runId: { type: Schema.Types.ObjectId, required: true },
    householdCode: { type: String, required: true },
    regionCode: { type: String, default: null },
    inPolicy: { type: Boolean, default: null },
    /** Categories the household is eligible for, and its finding types: the results filters. */
    categories: { type: [String], default: [] },
    findingTypes: { type: [String], default: [] },
    /**
     * The determination, compacted, and the findings: JSON as UTF-8 bytes, since nothing queries
     * inside them (the filters above do) and nested documents dominated a county run's BSON
     * work (determination.codec.ts `storedResult`). Read them with `storedDetermination` and
     * `storedFindings`.
     */
    determination: { type: Schema.Types.Mixed, required: true },
    findings: { type: Schema.Types.Mixed, default: null },
  },
  { versionKey: false, strict: 'throw' },
);
resultSchema.index({ runId: 1, householdCode: 1 }, { unique: true });
resultSchema.index({ runId: 1, categories: 1, householdCode: 1 });
resultSchema.index({ runId: 1, findingTypes: 1, householdCode: 1 });

export type EligibilityRun = InferSchemaType<typeof runSchema> & { _id: mongoose.Types.ObjectId };
export type EligibilityResult = InferSchemaType<typeof resultSchema> & { _id: mongoose.Types.ObjectId };

export const RunModel: mongoose.Model<any> = mongoose.models.EligibilityRun ?? mongoose.model('EligibilityRun', runSchema, 'eligibility_runs');
export const ResultModel: mongoose.Model<any> = mongoose.models.EligibilityResult ?? mongoose.model('EligibilityResult', resultSchema, 'eligibility_results');
