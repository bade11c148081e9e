import mongoose, { Schema, type InferSchemaType } from 'mongoose';

/**
 * Login tokens are opaque random strings handed to the client once; only their SHA-256 hash is
 * stored, so a copy of the database lets nobody act as a user. Logout deletes the row; an expired
 * row is refused by the lookup and swept on the owner's next login.
 */
const tokenSchema = new Schema(
  {
    hash: { type: String, required: true },
    userId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false, strict: 'throw' },
);
tokenSchema.index({ hash: 1 }, { unique: true });
tokenSchema.index({ userId: 1 });

export type TokenDoc = InferSchemaType<typeof tokenSchema>;
export const TokenModel = mongoose.models.Token ?? mongoose.model('Token', tokenSchema, 'tokens');
