/** Joi schemas of the users, login and audit routes (one per route, STYLE.md 6). */
import Joi from 'joi';
import { roles } from './actor';
import { regionLevel } from '../regions/region-code';

/** Letters (any script), digits, dot, dash and underscore; case-folded when stored. */
export const usernameRule = Joi.string().trim().lowercase().min(2).max(64).pattern(/^[\p{L}\p{N}._-]+$/u);
/** At least 10 characters (issue 4); the upper bound keeps scrypt's input reasonable. */
export const newPasswordRule = Joi.string().min(10).max(256);
const regionCodeRule = Joi.string().pattern(/^\d{12}$/).messages({ 'string.pattern.base': '{{#label}} must be a 12-digit division code' });
const regionCodesRule = Joi.array().items(regionCodeRule).min(1).max(50).unique();

/** A village cadre's region is villages, nothing wider (DESIGN.md "Roles"). */
function villageCodesOnly(value: { role?: string; regionCodes?: string[] }, helpers: Joi.CustomHelpers) {
  if (value.role === 'village' && value.regionCodes?.some((c) => regionLevel(c) !== 'village')) {
    return helpers.message({ custom: 'regionCodes of a village user must all be village-level codes' });
  }
  return value;
}

export const loginSchema = {
  body: Joi.object({
    // Not the username rule: a login with a malformed name is just a failed login.
    username: Joi.string().trim().lowercase().min(1).max(128).required(),
    password: Joi.string().min(1).max(256).required(),
  }),
};

export const changePasswordSchema = {
  body: Joi.object({
    currentPassword: Joi.string().min(1).max(256).required(),
    newPassword: newPasswordRule.required().invalid(Joi.ref('currentPassword')).messages({ 'any.invalid': 'newPassword must differ from currentPassword' }),
  }),
};

export const createUserSchema = {
  body: Joi.object({
    username: usernameRule.required(),
    password: newPasswordRule.required(),
    role: Joi.string().valid(...roles).required(),
    regionCodes: regionCodesRule.required(),
  }).custom(villageCodesOnly),
};

export const listUsersSchema = {
  query: Joi.object({
    role: Joi.string().valid(...roles),
    disabled: Joi.boolean(),
    page: Joi.number().integer().min(1).max(100_000).default(1),
    limit: Joi.number().integer().min(1).max(200).default(50),
  }),
};

export const updateUserSchema = {
  params: Joi.object({ username: usernameRule.required() }),
  body: Joi.object({
    role: Joi.string().valid(...roles),
    regionCodes: regionCodesRule,
    disabled: Joi.boolean(),
    /** An admin resetting a forgotten password; the user's tokens are revoked. */
    password: newPasswordRule,
  }).min(1),
};

export const listAuditSchema = {
  query: Joi.object({
    action: Joi.string().max(64),
    entity: Joi.string().max(64),
    entityId: Joi.string().max(64),
    username: Joi.string().max(128),
    regionCode: regionCodeRule,
    from: Joi.date().iso(),
    to: Joi.date().iso(),
    page: Joi.number().integer().min(1).max(100_000).default(1),
    limit: Joi.number().integer().min(1).max(200).default(50),
  }),
};
