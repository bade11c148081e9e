/**
 * Reads the rule test cases under `tests/` folder under `rules/` (sentences a policy officer can read, STYLE.md
 * 18) and builds each case's household from the base household and its overrides.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkDigit } from '../../src/registry/id-number';

export interface RuleCase {
  file: string;
  pair: string;
  sentence: string;
  asOf: string;
  household: Record<string, unknown>;
  expect: Record<string, any>;
  note: string;
}

interface Base { household: Record<string, unknown>; member: Record<string, unknown> }

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Objects merge key by key; arrays and scalars replace. */
export function merge(base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(overrides)) {
    out[k] = isObject(v) && isObject(out[k]) ? merge(out[k] as Record<string, unknown>, v) : structuredClone(v);
  }
  return out;
}

/** A valid 身份证 number for a member without one: the household's county, the birth date, a sequence. */
function makeIdNumber(birthDate: unknown, index: number): string {
  const date = typeof birthDate === 'string' ? birthDate.replace(/-/g, '') : '19800101';
  const first17 = `360721${date}${String(101 + index * 2).padStart(3, '0')}`;
  return first17 + checkDigit(first17);
}

export function buildCaseHousehold(base: Base, overrides: Record<string, unknown>): Record<string, unknown> {
  const { members, ...rest } = overrides;
  const household = merge(base.household, rest);
  const memberOverrides = (Array.isArray(members) ? members : (base.household.members as unknown[])) as Record<string, unknown>[];
  household.members = memberOverrides.map((m, i) => {
    const member = merge(base.member, m);
    if (!('idNumber' in m)) member.idNumber = makeIdNumber(member.birthDate, i);
    return member;
  });
  return household;
}

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...testFiles(full));
    else if (path.basename(dir) === 'tests' && name.endsWith('.json') && name !== 'base.json') out.push(full);
  }
  return out;
}

/** Every case under `rulesDir`, households built; the base household is `rules/default/tests/base.json`. */
export function loadRuleCases(rulesDir: string): RuleCase[] {
  const base = JSON.parse(readFileSync(path.join(rulesDir, 'default/tests/base.json'), 'utf8')) as Base;
  const cases: RuleCase[] = [];
  for (const file of testFiles(rulesDir)) {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { cases: Omit<RuleCase, 'file'>[] };
    const rel = path.relative(rulesDir, file).split(path.sep).join('/');
    for (const c of data.cases) cases.push({ ...c, file: rel, household: buildCaseHousehold(base, c.household) });
  }
  return cases;
}
