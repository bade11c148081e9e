/**
 * Request validation (STYLE.md 6, SECURITY.md "Queries and bodies"). One Joi schema per part;
 * the validated copies go to `res.locals.params / query / body` and `req` is never written
 * (Express 5's `req.query` is a getter, and a validated copy is the only thing services see).
 *
 * Before Joi runs, every part is scanned for what no schema should have to think about:
 * prototype keys (`__proto__`, `constructor`, `prototype`), MongoDB operators (`$ne`, `$where` …)
 * as keys, and nesting deeper than MAX_DEPTH. Repeated query keys arrive as arrays (the "simple"
 * query parser) and are refused unless the schema declares that key as an array.
 */
import type { NextFunction, Request, Response } from 'express';
import Joi from 'joi';
import { AppError } from './errors';

export interface RequestSchemas {
  params?: Joi.ObjectSchema;
  query?: Joi.ObjectSchema;
  body?: Joi.Schema;
}

interface Problem {
  path: string;
  code: string;
  message: string;
}

export const MAX_DEPTH = 8;
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Finds forbidden keys and excessive nesting; returns problems, never throws. */
export function scanForHostileKeys(value: unknown, prefix: string, problems: Problem[], depth = 0): void {
  if (value === null || typeof value !== 'object') return;
  if (depth > MAX_DEPTH) {
    problems.push({ path: prefix, code: 'nesting', message: `${prefix || 'body'} is nested too deeply` });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => scanForHostileKeys(v, `${prefix}.${i}`.replace(/^\./, ''), problems, depth + 1));
    return;
  }
  // Object.keys would skip nothing here: JSON.parse makes "__proto__" an own property.
  for (const key of Object.keys(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (PROTOTYPE_KEYS.has(key)) {
      problems.push({ path, code: 'prototype', message: `${path} is not allowed` });
      continue;
    }
    if (key.startsWith('$')) {
      problems.push({ path, code: 'operator', message: `${path}: query operators are not allowed` });
      continue;
    }
    scanForHostileKeys((value as Record<string, unknown>)[key], path, problems, depth + 1);
  }
}

function declaresArray(schema: Joi.ObjectSchema, key: string): boolean {
  try {
    const child = schema.extract(key) as Joi.Schema;
    const desc = child.describe();
    if (desc.type === 'array') return true;
    // Joi.alternatives().try(Joi.string(), Joi.array()) also declares a list.
    return desc.type === 'alternatives' && JSON.stringify(desc).includes('"type":"array"');
  } catch {
    return false; // unknown key: Joi names it below
  }
}

const joiOptions: Joi.ValidationOptions = { abortEarly: false, convert: true, allowUnknown: false, errors: { wrap: { label: false } } };

function validatePart(part: 'params' | 'query' | 'body', schema: Joi.Schema | undefined, value: unknown, allProblems: Problem[]): unknown {
  const problems: Problem[] = [];
  const out = checkPart(part, schema, value, problems);
  allProblems.push(...problems);
  return out;
}

function checkPart(part: 'params' | 'query' | 'body', schema: Joi.Schema | undefined, value: unknown, problems: Problem[]): unknown {
  const prefix = part === 'body' ? '' : part;
  // Path parameters are strings the route pattern itself defines; without a schema they pass as they are.
  if (part === 'params' && !schema) return { ...(value as Record<string, string>) };
  scanForHostileKeys(value, prefix, problems);
  if (part === 'query' && schema && value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (Array.isArray(v) && !declaresArray(schema as Joi.ObjectSchema, key)) {
        problems.push({ path: `query.${key}`, code: 'repeated', message: `query.${key} may be given only once` });
      }
    }
  }
  if (problems.length > 0) return undefined;
  if (!schema) {
    const empty = value === undefined || value === null || (typeof value === 'object' && Object.keys(value).length === 0);
    if (!empty) problems.push({ path: part, code: 'unexpected', message: `${part} is not expected here` });
    return {};
  }
  const { value: out, error } = schema.validate(value ?? {}, joiOptions);
  if (error) {
    for (const d of error.details) {
      const path = [prefix, ...d.path].filter((p) => p !== '').join('.');
      problems.push({ path, code: d.type, message: d.message.startsWith(String(d.context?.label ?? '')) ? `${path}${d.message.slice(String(d.context?.label ?? '').length)}` : d.message });
    }
  }
  return out;
}

/** Middleware validating the parts a route declares; a part it does not declare must be empty. */
export function validate(schemas: RequestSchemas) {
  return function validateRequest(req: Request, res: Response, next: NextFunction): void {
    const problems: Problem[] = [];
    const params = validatePart('params', schemas.params, req.params, problems);
    const query = validatePart('query', schemas.query, req.query, problems);
    const body = validatePart('body', schemas.body, req.body, problems);
    if (problems.length > 0) throw new AppError('VALIDATION_FAILED', `${problems[0].message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, problems);
    res.locals.params = params;
    res.locals.query = query;
    res.locals.body = body;
    next();
  };
}
