/**
 * The fact object one household gives on one date (src/eligibility/facts.ts): the pieces are
 * tested in test/eligibility/facts/; this checks the assembly and the catalogue.
 */
import { expect } from 'chai';
import { computeFacts, factCatalogue, memberPredicateNames, memberPredicates } from '../../src/eligibility/facts';
import { ageOn } from '../../src/eligibility/facts/age.fact';
import { generateCounty } from '../../src/ledger/synthetic-county';
import { buildCaseHousehold } from './rule-cases';
import base from '../../rules/default/tests/base.json';

const params = { laborAge: { min: 16, max: 59 }, compulsorySchoolAge: { min: 6, max: 15 }, 'microloan.age': { min: 18, max: 65 } };

describe('facts: the fact object of a household', () => {
  it('has a value for every fact of the catalogue, and a count for every member predicate', () => {
    const { values } = computeFacts(buildCaseHousehold(base, {}), '2024-06-30', params);
    expect(Object.keys(values).sort()).to.deep.equal(Object.keys(factCatalogue).sort());
    for (const name of memberPredicateNames.filter((n) => n !== 'all')) expect(factCatalogue).to.have.property(`${name}Count`);
  });

  it('computes the base household: 2 persons, 20000 net, 10000 each, both able to work', () => {
    const { values, memberFlags } = computeFacts(buildCaseHousehold(base, {}), '2024-06-30', params);
    expect(values).to.include({ inPolicy: true, memberCount: 2, headCount: 1, netIncome: 20000, perCapitaNetIncome: 10000, ableToWorkCount: 2, helperCount: 1, supportCount: 1 });
    expect(memberFlags.ableToWork).to.deep.equal([true, true]);
  });

  it('leaves age-dependent counts unknown without the parameter in force', () => {
    const { values } = computeFacts(buildCaseHousehold(base, {}), '2024-06-30', {});
    expect(values.ableToWorkCount).to.equal(undefined);
    expect(values.disabledCount).to.equal(0);
  });

  it('survives a household of the wrong shape: facts unknown, nothing thrown', () => {
    const { values } = computeFacts({ members: 'none', income: 5, status: 7, monitoring: 'x' } as never, '2024-06-30', params);
    expect(values).to.include({ listedMemberCount: 0, memberCount: undefined, inPolicy: undefined, netIncome: undefined });
  });

  it('flags each member as the predicate table says, ranges in force or not, and counts in its order', () => {
    const households = [...generateCounty({ households: 200, seed: 5 }).households()] as unknown as Record<string, unknown>[];
    households.push({ members: [{}, { birthDate: '2015-01-01', schooling: 'none' }, { idNumber: 'bad', labor: 'ordinary' }, null] });
    for (const p of [params, {}, { laborAge: { min: 16 }, compulsorySchoolAge: 7 }]) {
      for (const h of households) {
        const { values, memberFlags } = computeFacts(h, '2024-06-30', p);
        const members = (h.members as Record<string, unknown>[]).filter((m) => m !== null);
        expect(Object.keys(memberFlags)).to.deep.equal(memberPredicateNames);
        for (const name of memberPredicateNames) {
          const predicate = memberPredicates[name] as unknown as { range?: string; test: (m: unknown, age: number | undefined, r: unknown) => boolean | undefined };
          const value = predicate.range === undefined ? undefined : (p as Record<string, unknown>)[predicate.range];
          const r = value !== null && typeof value === 'object' && typeof (value as { min?: unknown }).min === 'number' && typeof (value as { max?: unknown }).max === 'number' ? value : undefined;
          const expected = members.map((m) => (predicate.range !== undefined && r === undefined ? undefined : predicate.test(m, ageOn(m, '2024-06-30'), r)));
          expect(memberFlags[name], name).to.deep.equal(expected);
        }
        const counts = Object.keys(values).filter((k) => k.endsWith('Count') && memberPredicateNames.includes(k.slice(0, -5) as never));
        expect(counts).to.deep.equal(memberPredicateNames.filter((n) => n !== 'all').map((n) => `${n}Count`));
      }
    }
  });

  it('counts a person already seen in the run as a duplicate', () => {
    const h = buildCaseHousehold(base, {});
    const first = computeFacts(h, '2024-06-30', params);
    const again = computeFacts(h, '2024-06-30', params, { seenPersonIds: new Set(first.personIds as string[]) });
    expect(first.values.duplicatePersonCount).to.equal(0);
    expect(again.values.duplicatePersonCount).to.equal(2);
  });
});
