import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { roles } from './actor';

/**
 * A person who may log in. The password is kept only as a scrypt hash (see password.ts); the
 * role and region codes are read on every request, so a change by an admin applies at once.
 */
const userSchema = new Schema(
  {
    username: { type: String, required: true },
    passwordHash: { type: String, required: true },
    role: { type: String, enum: roles, required: true },
    /** 12-digit division codes; the user sees the subtree under each. */
    regionCodes: { type: [String], required: true },
    disabled: { type: Boolean, required: true, default: false },
    passwordChangedAt: { type: Date, default: null },
  },
  { timestamps: true, versionKey: false, strict: 'throw' },
);
userSchema.index({ username: 1 }, { unique: true });

export type UserDoc = InferSchemaType<typeof userSchema> & { _id: mongoose.Types.ObjectId };
export const UserModel = mongoose.models.User ?? mongoose.model('User', userSchema, 'users');
