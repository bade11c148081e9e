/**
 * Administrative divisions (统计用区划代码): code, name, level and parent. Level and parent follow
 * from the code (region-code.ts); `nameKey` is the name as ledgers are matched against it.
 */
import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { regionLevels } from './region-code';

const regionSchema = new Schema(
  {
    code: { type: String, required: true, match: /^\d{12}$/ },
    name: { type: String, required: true },
    nameKey: { type: String, required: true },
    level: { type: String, enum: [...regionLevels], required: true },
    parent: { type: String, default: null },
  },
  { versionKey: false, strict: 'throw', strictQuery: 'throw', timestamps: true },
);
regionSchema.index({ code: 1 }, { unique: true });
regionSchema.index({ parent: 1 });
regionSchema.index({ level: 1, nameKey: 1 });

export type RegionDoc = InferSchemaType<typeof regionSchema>;
const registerRegionModel = () => mongoose.model('Region', regionSchema, 'regions');
export const RegionModel: ReturnType<typeof registerRegionModel> =
  (mongoose.models.Region as ReturnType<typeof registerRegionModel> | undefined) ?? registerRegionModel();
