/**
 * A run reads only EVALUATED_FIELDS of each household (src/eligibility/evaluated-fields.ts). Here
 * every household field that an evaluation, its findings and the duplicate-person check touch is
 * recorded through a Proxy, over every rule test case and a synthetic village, and must be in
 * that list: a fact that starts reading a new field fails this test until the field is added,
 * instead of silently reading nothing in county runs. The reverse holds too (nothing listed that
 * nothing reads), so the list stays what its name says.
 */
import { expect } from 'chai';
import { EVALUATED_FIELDS, storedPathOf } from '../../src/eligibility/evaluated-fields';
import { evaluateWithFacts } from '../../src/eligibility/evaluate';
import { duplicatesSeen } from '../../src/eligibility/evaluate.worker';
import { householdFindings } from '../../src/eligibility/findings';
import { defaultRulesDir, loadRuleSetsFrom } from '../../src/eligibility/ruleset.loader';
import { generateCounty } from '../../src/ledger/synthetic-county';
import type { Household } from '../../src/registry/household.types';
import { loadRuleCases } from './rule-cases';

/**
 * `value` wrapped so that reading a field records its path (array elements share their array's
 * path: 'members.health'); listing an object's keys records `path.*` (it would read them all).
 */
function recording(value: unknown, path: string, seen: Set<string>): unknown {
  if (value === null || typeof value !== 'object') return value;
  const isArray = Array.isArray(value);
  return new Proxy(value as object, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof key === 'symbol') return v;
      if (isArray) return /^\d+$/.test(key) ? recording(v, path, seen) : typeof v === 'function' ? v : v;
      const child = path ? `${path}.${key}` : key;
      seen.add(child);
      return recording(v, child, seen);
    },
    has(target, key) {
      if (typeof key === 'string' && !isArray) seen.add(path ? `${path}.${key}` : key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      if (!isArray) seen.add(path ? `${path}.*` : '*');
      return Reflect.ownKeys(target);
    },
  });
}

/** A field read is covered by itself or an ancestor in the list; a container read on the way to listed fields is too. */
const covered = (path: string) => EVALUATED_FIELDS.some((f) => path === f || path.startsWith(`${f}.`) || f.startsWith(`${path}.`));

describe('the household fields a run reads (EVALUATED_FIELDS)', () => {
  const rules = loadRuleSetsFrom(defaultRulesDir);
  const households: { household: Record<string, unknown>; asOf: string }[] = [
    ...loadRuleCases(defaultRulesDir).map((c) => ({ household: c.household, asOf: c.asOf })),
    ...[...generateCounty({ households: 300, seed: 7 }).households()].map((h) => ({ household: h as unknown as Record<string, unknown>, asOf: '2024-06-30' })),
  ];
  const read = new Set<string>();

  before(async () => {
    const seen = new Set<string>();
    for (const { household, asOf } of households) {
      const h = recording(household, '', read) as Partial<Household>;
      const { determination, facts } = await evaluateWithFacts(h, asOf, { rules, context: { duplicatePersonIds: duplicatesSeen(h as Household, seen) } });
      householdFindings(h, determination, facts);
    }
  });

  it(`records what ${households.length} households' evaluations read`, () => {
    expect(read.size).to.be.greaterThan(10);
    expect([...read].filter((p) => p.endsWith('*')), 'an evaluation lists the keys of a household object').to.deep.equal([]);
  });

  it('lists every field an evaluation reads', () => {
    const missing = [...read].map(storedPathOf).filter((p) => !covered(p));
    expect(missing, 'fields read by evaluation but not in EVALUATED_FIELDS').to.deep.equal([]);
  });

  it('lists only fields an evaluation reads', () => {
    const stored = [...read].map(storedPathOf);
    const unread = EVALUATED_FIELDS.filter((f) => !stored.some((p) => p === f || p.startsWith(`${f}.`)));
    expect(unread, 'fields in EVALUATED_FIELDS that no evaluation read').to.deep.equal([]);
  });
});
