/**
 * Import jobs: one per (file sha256, layout, dry run, user). A repeat upload of the same file
 * finds the same job (SECURITY.md "Excel in": same job, no duplicates); a job left `running` by a
 * crashed process is picked up again from its last committed batch (`progress.row`).
 */
import mongoose, { Schema, type InferSchemaType } from 'mongoose';

const rowErrorSchema = new Schema(
  { sheet: { type: String, default: '' }, row: { type: Number, default: 0 }, column: { type: String, default: null }, code: { type: String, required: true }, message: { type: String, required: true } },
  { _id: false, strict: 'throw' },
);

const importJobSchema = new Schema(
  {
    key: { type: String, required: true },
    sha256: { type: String, required: true },
    layout: { type: String, required: true },
    dryRun: { type: Boolean, required: true },
    fileName: { type: String, default: null },
    fileSize: { type: Number, default: 0 },
    status: { type: String, enum: ['queued', 'running', 'done', 'failed'], required: true },
    actor: {
      userId: { type: String, required: true },
      username: { type: String, required: true },
      role: { type: String, required: true },
      regionCodes: { type: [String], default: [] },
    },
    counts: {
      rows: { type: Number, default: 0 },
      households: { type: Number, default: 0 },
      created: { type: Number, default: 0 },
      updated: { type: Number, default: 0 },
      unchanged: { type: Number, default: 0 },
      failed: { type: Number, default: 0 },
      members: { type: Number, default: 0 },
    },
    /** The first errors, for the JSON answer; every failing row is in importErrorRows. */
    errors: { type: [rowErrorSchema], default: [] },
    errorCount: { type: Number, default: 0 },
    /** Last sheet row whose household was committed: a resumed job starts after it. */
    progress: { row: { type: Number, default: 0 } },
    header: { sheet: { type: String, default: null }, texts: { type: [String], default: [] }, lastRow: { type: Number, default: 0 } },
    failure: { code: { type: String, default: null }, message: { type: String, default: null } },
    startedAt: { type: Date, default: null },
    finishedAt: { type: Date, default: null },
  },
  { timestamps: true, versionKey: false, strict: 'throw', strictQuery: 'throw', suppressReservedKeysWarning: true },
);
importJobSchema.index({ key: 1 }, { unique: true });

export type ImportJobDoc = InferSchemaType<typeof importJobSchema>;
export const ImportJobModel = (mongoose.models.ImportJob as mongoose.Model<ImportJobDoc> | undefined) ?? mongoose.model('ImportJob', importJobSchema, 'importJobs');

/** The failing rows as they were, for errors.xlsx: cell texts in sheet column order and the reasons. */
const importErrorRowSchema = new Schema(
  {
    jobId: { type: String, required: true },
    sheet: { type: String, default: '' },
    row: { type: Number, required: true },
    texts: { type: [String], default: [] },
    reason: { type: String, required: true },
  },
  { versionKey: false, strict: 'throw', strictQuery: 'throw' },
);
importErrorRowSchema.index({ jobId: 1, row: 1 });

export type ImportErrorRowDoc = InferSchemaType<typeof importErrorRowSchema>;
export const ImportErrorRowModel = (mongoose.models.ImportErrorRow as mongoose.Model<ImportErrorRowDoc> | undefined)
  ?? mongoose.model('ImportErrorRow', importErrorRowSchema, 'importErrorRows');
