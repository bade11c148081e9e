/**
 * Loads every rule set and parameter file under RULES_DIR at start-up and validates them (STYLE.md
 * 17): the schema, facts and operators that exist, parameters that exist and cover every day a
 * rule is in force, and no two windows of the same rule overlapping. Any problem throws a
 * RuleLoadError naming the file and why, and the service refuses to start.
 *
 * Layout (DESIGN.md "Rules"): any folder may hold a `ruleset.json` and a `parameters/` folder of
 * one JSON file per parameter; `tests/` folders hold rule test cases and are not loaded here. A
 * parameter file whose name is already defined elsewhere is an overlay: it may only add region
 * overrides (a province's or a county's own 低保 line), never base values.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { factCatalogue, memberPredicateNames } from './facts';
import { coverageGap, toDated, valueKeys, type Parameter } from './parameters';
import {
  parameterSchema, ruleSetSchema, type ConditionFile, type ParameterFile, type RuleFile, type RuleKind, type RuleSetFile, type Scalar,
} from './ruleset.schema';

/** json-rules-engine's built-in operators; rule files may use no other. */
export const knownOperators = new Set([
  'equal', 'notEqual', 'in', 'notIn', 'contains', 'doesNotContain',
  'lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive',
]);

export type CompiledCondition =
  | { kind: 'leaf'; fact: string; operator: string; value: Scalar | Scalar[]; parameter: { name: string; key: string | null } | null }
  | { kind: 'all'; children: CompiledCondition[] }
  | { kind: 'any'; children: CompiledCondition[] }
  | { kind: 'not'; child: CompiledCondition };

export interface CompiledSubBenefit { id: string; name: string; title: string; persons: string; condition: CompiledCondition | null }
export interface CompiledMonitoringType { id: 'unstable' | 'marginal' | 'sudden'; name: string; title: string; condition: CompiledCondition | null }

export interface CompiledRule {
  id: string;
  /** Unique within the loaded rules: `<id>@<effectiveFrom>`. */
  key: string;
  kind: RuleKind;
  name: string;
  title: string;
  legalReference: string;
  effectiveFrom: string;
  effectiveTo: string | null;
  /** Member predicate counted; null for a category that counts households only (and non-categories). */
  persons: string | null;
  subBenefits: CompiledSubBenefit[];
  types: CompiledMonitoringType[];
  reason: string | null;
  condition: CompiledCondition;
  /** Every parameter the rule reads, through a condition or through a fact. */
  parameters: string[];
  ruleSetId: string;
  file: string;
  source: RuleFile;
}

export interface LoadedRuleSet {
  id: string;
  version: string;
  title: string;
  reference: string | null;
  /** Region prefixes the set adds to; null for the base set, which applies everywhere. */
  appliesTo: string[] | null;
  file: string;
  rules: CompiledRule[];
}

export interface LoadedRules {
  dir: string;
  /** sha256 over the rule set and parameter files (paths and contents). */
  hash: string;
  base: LoadedRuleSet;
  /** County or province additions, in path order. */
  extensions: LoadedRuleSet[];
  parameters: Map<string, Parameter>;
}

export interface RuleFileProblem { file: string; reason: string }

export class RuleLoadError extends Error {
  readonly problems: RuleFileProblem[];
  constructor(problems: RuleFileProblem[]) {
    super(`Rule files are not valid:\n  ${problems.map((p) => `${p.file}: ${p.reason}`).join('\n  ')}`);
    this.name = 'RuleLoadError';
    this.problems = problems;
  }
}

function listJsonFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.json')) out.push(full);
    }
  };
  walk(dir);
  return out;
}

function readJson(full: string, rel: string, problems: RuleFileProblem[]): unknown {
  try {
    return JSON.parse(readFileSync(full, 'utf8'));
  } catch (err) {
    problems.push({ file: rel, reason: `not valid JSON: ${(err as Error).message}` });
    return undefined;
  }
}

function joiProblems(error: import('joi').ValidationError, rel: string): RuleFileProblem[] {
  return error.details.map((d) => ({ file: rel, reason: `${d.path.join('.') || '(file)'}: ${d.message}` }));
}

/** Reads and validates RULES_DIR; throws RuleLoadError listing every problem. */
export function loadRuleSetsFrom(dir: string): LoadedRules {
  const root = path.resolve(dir);
  const problems: RuleFileProblem[] = [];
  let files: string[];
  try {
    files = listJsonFiles(root);
  } catch (err) {
    throw new RuleLoadError([{ file: dir, reason: `cannot read the rules folder: ${(err as Error).message}` }]);
  }
  const hash = createHash('sha256');
  const ruleSetFiles: { rel: string; data: RuleSetFile }[] = [];
  const parameterFiles: { rel: string; data: ParameterFile }[] = [];

  for (const full of files) {
    const rel = path.relative(root, full).split(path.sep).join('/');
    const parts = rel.split('/');
    const isRuleSet = parts[parts.length - 1] === 'ruleset.json';
    const isParameter = parts.length >= 2 && parts[parts.length - 2] === 'parameters';
    if (!isRuleSet && !isParameter) continue;
    hash.update(rel).update('\0').update(readFileSync(full)).update('\0');
    const raw = readJson(full, rel, problems);
    if (raw === undefined) continue;
    if (isRuleSet) {
      const { value, error } = ruleSetSchema.validate(raw, { abortEarly: false });
      if (error) problems.push(...joiProblems(error, rel));
      else ruleSetFiles.push({ rel, data: value as RuleSetFile });
    } else {
      const { value, error } = parameterSchema.validate(raw, { abortEarly: false });
      if (error) problems.push(...joiProblems(error, rel));
      else if (`${(value as ParameterFile).name}.json` !== parts[parts.length - 1]) {
        problems.push({ file: rel, reason: `the file must be named after its parameter: ${(value as ParameterFile).name}.json` });
      } else parameterFiles.push({ rel, data: value as ParameterFile });
    }
  }

  const parameters = buildParameters(parameterFiles, problems);
  const ruleSets = ruleSetFiles.map(({ rel, data }) => compileRuleSet(data, rel, parameters, problems));

  const bases = ruleSets.filter((s) => s.appliesTo === null);
  if (bases.length !== 1) {
    problems.push({ file: dir, reason: `exactly one rule set must apply everywhere (no appliesTo); found ${bases.length}` });
  }
  checkRuleIds(ruleSets, problems);
  for (const s of ruleSets) {
    if (s.appliesTo !== null) {
      for (const r of s.rules) if (r.kind === 'monitoring') problems.push({ file: s.file, reason: `rule ${r.id}: only the base rule set screens for monitoring` });
    }
  }
  if (problems.length > 0) throw new RuleLoadError(problems);
  return { dir: root, hash: hash.digest('hex'), base: bases[0], extensions: ruleSets.filter((s) => s.appliesTo !== null), parameters };
}

function buildParameters(files: { rel: string; data: ParameterFile }[], problems: RuleFileProblem[]): Map<string, Parameter> {
  const parameters = new Map<string, Parameter>();
  // Base files first, overlays after, whatever the folder order.
  for (const { rel, data } of [...files].sort((a, b) => Number(!a.data.values) - Number(!b.data.values))) {
    const existing = parameters.get(data.name);
    // Rules name facts and parameters alike ({ "fact": "dibaoLine" }), and the engine reads both
    // by name (rule.engine.ts): a parameter may not take a fact's name.
    if (data.name in factCatalogue) {
      problems.push({ file: rel, reason: `parameter ${data.name} has the name of a fact; rules could not tell them apart` });
      continue;
    }
    if (data.values) {
      if (existing) {
        problems.push({ file: rel, reason: `parameter ${data.name} has base values both here and in ${existing.files[0]}; an override file may only add regions` });
        continue;
      }
      if (!data.description || !data.unit || !data.reference) {
        problems.push({ file: rel, reason: `parameter ${data.name} needs a description, a unit and a reference` });
      }
      parameters.set(data.name, {
        name: data.name, description: data.description ?? '', unit: data.unit ?? '', reference: data.reference ?? '',
        values: toDated(data.values), regions: [], files: [rel],
      });
    } else if (!existing) {
      problems.push({ file: rel, reason: `parameter ${data.name} has no base values anywhere: an override needs a parameter to override` });
      continue;
    } else {
      existing.files.push(rel);
    }
    const target = parameters.get(data.name)!;
    for (const [prefix, region] of Object.entries(data.regions ?? {})) {
      const clash = target.regions.find((r) => r.prefix === prefix);
      if (clash) {
        problems.push({ file: rel, reason: `parameter ${data.name}: region ${prefix} is already overridden in ${clash.file}` });
        continue;
      }
      target.regions.push({ prefix, values: toDated(region.values), file: rel });
    }
    target.regions.sort((a, b) => b.prefix.length - a.prefix.length);
  }
  // An object-valued parameter (an age range) must keep the same keys in every value.
  for (const p of parameters.values()) {
    const shapes = new Set([...p.values, ...p.regions.flatMap((r) => r.values)].filter((v) => v.value !== null).map((v) => (typeof v.value === 'number' ? 'number' : Object.keys(v.value as object).sort().join(','))));
    if (shapes.size > 1) problems.push({ file: p.files[0], reason: `parameter ${p.name}: every value must have the same shape (found ${[...shapes].join(' / ')})` });
  }
  return parameters;
}

function compileRuleSet(data: RuleSetFile, rel: string, parameters: Map<string, Parameter>, problems: RuleFileProblem[]): LoadedRuleSet {
  const rules: CompiledRule[] = [];
  for (const rule of data.rules) {
    const where = `rule ${rule.id} (${rule.effectiveFrom})`;
    const before = problems.length;
    const used = new Set<string>();
    const compile = (c: ConditionFile, label: string) => compileCondition(c, parameters, used, (reason) => problems.push({ file: rel, reason: `${where}${label}: ${reason}` }));
    const condition = compile(rule.conditions, '');
    if (rule.event.params.id !== rule.id) problems.push({ file: rel, reason: `${where}: event.params.id must be the rule id` });
    if (rule.effectiveTo !== null && rule.effectiveTo < rule.effectiveFrom) problems.push({ file: rel, reason: `${where}: effectiveTo is before effectiveFrom` });
    const checkPersons = (persons: string, label: string) => {
      if (persons !== 'none' && !(memberPredicateNames as string[]).includes(persons)) {
        problems.push({ file: rel, reason: `${where}${label}: persons must be none or one of ${memberPredicateNames.join(', ')}; got ${persons}` });
      }
      if (persons !== 'none') for (const p of predicateParameters(persons)) used.add(p);
    };
    if (rule.persons !== undefined) checkPersons(rule.persons, '');
    const subBenefits = (rule.subBenefits ?? []).map((s) => {
      checkPersons(s.persons, ` sub-benefit ${s.id}`);
      if (s.persons === 'none') problems.push({ file: rel, reason: `${where} sub-benefit ${s.id}: a sub-benefit counts persons` });
      return { id: s.id, name: s.name, title: s.title, persons: s.persons, condition: s.conditions ? compile(s.conditions, ` sub-benefit ${s.id}`) : null };
    });
    const types = (rule.types ?? []).map((t) => ({ id: t.id, name: t.name, title: t.title, condition: t.conditions ? compile(t.conditions, ` type ${t.id}`) : null }));
    if (types.length > 0 && types[types.length - 1].condition !== null) {
      problems.push({ file: rel, reason: `${where}: the last monitoring type must have no conditions (it takes every remaining candidate)` });
    }
    if (rule.reason) {
      for (const m of rule.reason.matchAll(/\{(\w+)\}/g)) {
        if (!(m[1] in factCatalogue)) problems.push({ file: rel, reason: `${where}: reason names unknown fact ${m[1]}` });
      }
    }
    for (const name of used) {
      const parameter = parameters.get(name);
      if (!parameter) continue; // reported where it was referenced
      const gap = coverageGap(parameter, rule.effectiveFrom, rule.effectiveTo);
      if (gap) problems.push({ file: rel, reason: `${where}: parameter ${name} ${gap}, but the rule is in force from ${rule.effectiveFrom}${rule.effectiveTo ? ` to ${rule.effectiveTo}` : ''}` });
    }
    if (problems.length > before) continue;
    rules.push({
      id: rule.id, key: `${rule.id}@${rule.effectiveFrom}`, kind: rule.event.type, name: rule.name, title: rule.title,
      legalReference: rule.legalReference, effectiveFrom: rule.effectiveFrom, effectiveTo: rule.effectiveTo,
      persons: rule.persons === undefined || rule.persons === 'none' ? null : rule.persons,
      subBenefits, types, reason: rule.reason ?? null, condition, parameters: [...used].sort(),
      ruleSetId: data.id, file: rel, source: rule,
    });
  }
  // Windows of one rule id must not overlap: the old rule is closed before the new one starts.
  const byId = new Map<string, RuleFile[]>();
  for (const r of data.rules) byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
  for (const [id, versions] of byId) {
    const sorted = [...versions].sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1];
      if (prev.effectiveTo === null || prev.effectiveTo >= sorted[i].effectiveFrom) {
        problems.push({ file: rel, reason: `rule ${id}: the window from ${prev.effectiveFrom} to ${prev.effectiveTo ?? 'open'} overlaps the one from ${sorted[i].effectiveFrom}` });
      }
    }
    const kinds = new Set(versions.map((v) => v.event.type));
    if (kinds.size > 1) problems.push({ file: rel, reason: `rule ${id}: every version must be of the same kind` });
  }
  return {
    id: data.id, version: data.version, title: data.title, reference: data.reference ?? null,
    appliesTo: data.appliesTo ?? null, file: rel, rules,
  };
}

function predicateParameters(persons: string): readonly string[] {
  const count = factCatalogue[`${persons}Count`];
  return count ? count.parameters : [];
}

function compileCondition(c: ConditionFile, parameters: Map<string, Parameter>, used: Set<string>, fail: (reason: string) => void): CompiledCondition {
  if ('all' in c) return { kind: 'all', children: c.all.map((x) => compileCondition(x, parameters, used, fail)) };
  if ('any' in c) return { kind: 'any', children: c.any.map((x) => compileCondition(x, parameters, used, fail)) };
  if ('not' in c) return { kind: 'not', child: compileCondition(c.not, parameters, used, fail) };
  const fact = factCatalogue[c.fact];
  if (!fact) {
    if (parameters.has(c.fact)) fail(`${c.fact} is a parameter: compare a fact with it ({ "fact": "<fact>", "value": { "fact": "${c.fact}" } })`);
    else fail(`unknown fact ${c.fact}`);
  } else {
    for (const p of fact.parameters) {
      used.add(p);
      if (!parameters.has(p)) fail(`fact ${c.fact} reads parameter ${p}, which no parameter file defines`);
    }
  }
  if (!knownOperators.has(c.operator)) fail(`unknown operator ${c.operator} (known: ${[...knownOperators].join(', ')})`);
  let parameter: { name: string; key: string | null } | null = null;
  let value: Scalar | Scalar[] = null;
  if (c.value !== null && typeof c.value === 'object' && !Array.isArray(c.value)) {
    const ref = c.value as { fact: string; path?: string };
    const p = parameters.get(ref.fact);
    if (!p) {
      fail(`value refers to ${ref.fact}, which is not a parameter`);
    } else {
      used.add(ref.fact);
      const key = ref.path ? ref.path.replace(/^\$\./, '') : null;
      const keys = valueKeys(p);
      if (key === null && keys !== null) fail(`parameter ${ref.fact} has parts (${[...keys].join(', ')}): name one with "path"`);
      if (key !== null && (keys === null || !keys.has(key))) fail(`parameter ${ref.fact} has no part ${key}`);
      parameter = { name: ref.fact, key };
    }
  } else {
    value = c.value as Scalar | Scalar[];
  }
  return { kind: 'leaf', fact: c.fact, operator: c.operator, value, parameter };
}

function checkRuleIds(ruleSets: LoadedRuleSet[], problems: RuleFileProblem[]): void {
  const owner = new Map<string, string>();
  // The base set owns its ids; an addition that reuses one is the file at fault.
  const baseFirst = [...ruleSets].sort((a, b) => Number(a.appliesTo !== null) - Number(b.appliesTo !== null));
  for (const s of baseFirst) {
    const ids = new Set(s.rules.map((r) => r.id));
    for (const id of ids) {
      const other = owner.get(id);
      if (other) problems.push({ file: s.file, reason: `rule ${id} is already defined in ${other}` });
      else owner.set(id, s.file);
    }
  }
  const setIds = new Map<string, string>();
  for (const s of ruleSets) {
    const other = setIds.get(s.id);
    if (other) problems.push({ file: s.file, reason: `rule set id ${s.id} is already used by ${other}` });
    else setIds.set(s.id, s.file);
  }
}

// ---------------------------------------------------------------- the loaded rules of this process

let current: LoadedRules | undefined;

/** Loads RULES_DIR and makes it the rules every evaluation uses; the server calls it at start-up. */
export function loadRuleSets(dir: string): LoadedRules {
  current = loadRuleSetsFrom(dir);
  return current;
}

/** The repository's own `rules/`, for tests and tools that did not load another folder. */
export const defaultRulesDir = path.resolve(__dirname, '../../rules');

/** The loaded rules; loaded lazily from RULES_DIR (or the repository's `rules/`) on first use. */
export function currentRules(): LoadedRules {
  if (!current) current = loadRuleSetsFrom(process.env.RULES_DIR || defaultRulesDir);
  return current;
}

/** Rule sets that apply to a household of `regionCode`: the base set, then matching additions. */
export function ruleSetsFor(rules: LoadedRules, regionCode: string): LoadedRuleSet[] {
  const matching = rules.extensions.filter((s) => s.appliesTo!.some((prefix) => regionCode.startsWith(prefix)));
  return [rules.base, ...matching];
}

/** Rules in force on `asOf` (effectiveTo is the last day in force). */
export function rulesInForce(ruleSet: LoadedRuleSet, asOf: string): CompiledRule[] {
  return ruleSet.rules.filter((r) => r.effectiveFrom <= asOf && (r.effectiveTo === null || r.effectiveTo >= asOf));
}
