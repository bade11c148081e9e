import mongoose, { Schema, type InferSchemaType } from 'mongoose';

/**
 * The audit trail: one entry per create, update, delete, login, export, import, run and reveal
 * (SECURITY.md "Access"). Entries are only ever inserted: no service updates or deletes them, and
 * no route offers to.
 */
const auditSchema = new Schema(
  {
    at: { type: Date, required: true, default: () => new Date() },
    userId: { type: String, required: true },
    username: { type: String, required: true },
    role: { type: String, required: true },
    /** household.create, household.update, household.delete, member.add, auth.login, export, reveal … */
    action: { type: String, required: true },
    /** 'household', 'user', 'import', 'export', 'run' … and its key (户编号, username, job id). */
    entity: { type: String, required: true },
    entityId: { type: String, default: null },
    /** The household's village, so auditors see entries of their own region only. */
    regionCode: { type: String, default: null },
    before: { type: Schema.Types.Mixed, default: null },
    after: { type: Schema.Types.Mixed, default: null },
    /** Anything else worth keeping: an export's filter and row count, a reveal's reason. */
    details: { type: Schema.Types.Mixed, default: null },
  },
  { versionKey: false, strict: 'throw' },
);
auditSchema.index({ entity: 1, entityId: 1, at: 1 });
auditSchema.index({ at: -1 });
// GET /audit filters (a user's actions, one kind of action, an auditor's region), newest first.
auditSchema.index({ username: 1, at: -1 });
auditSchema.index({ action: 1, at: -1 });
auditSchema.index({ regionCode: 1, at: -1 });

export type AuditEntry = InferSchemaType<typeof auditSchema>;
export const AuditModel = mongoose.models.Audit ?? mongoose.model('Audit', auditSchema, 'audit');
