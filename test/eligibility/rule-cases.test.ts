/**
 * The rule test cases of `rules/`, one `it()` each, named by the case's sentence (STYLE.md 18).
 * Cases come in boundary pairs; the pairing is checked too, so a lone case cannot slip in.
 */
import { expect } from 'chai';
import { defaultRulesDir, loadRuleSetsFrom } from '../../src/eligibility/ruleset.loader';
import { evaluateHousehold, type Determination } from '../../src/eligibility/evaluate';
import { householdFindings } from '../../src/eligibility/findings';
import { loadRuleCases, type RuleCase } from './rule-cases';

const rules = loadRuleSetsFrom(defaultRulesDir);
const cases = loadRuleCases(defaultRulesDir);

function sorted(list: string[]): string[] {
  return [...list].sort();
}

function checkPart(label: string, actual: Record<string, any> | undefined, expected: unknown): void {
  if (expected === 'absent') {
    expect(actual, `${label} should not be in the determination`).to.equal(undefined);
    return;
  }
  expect(actual, `${label} is missing from the determination`).to.not.equal(undefined);
  const want = typeof expected === 'string' ? { status: expected } : (expected as Record<string, any>);
  for (const [key, value] of Object.entries(want)) {
    if (key === 'missingFacts') expect(sorted(actual![key]), `${label}.${key}`).to.deep.equal(sorted(value));
    else if (key === 'members') expect(actual![key].map((m: { index: number }) => m.index), `${label}.members`).to.deep.equal(value);
    else if (key === 'conditions') {
      for (const condition of value as Record<string, unknown>[]) {
        const match = actual!.conditions.find((c: Record<string, unknown>) => c.fact === condition.fact);
        expect(match, `${label}: a condition on ${String(condition.fact)}`).to.not.equal(undefined);
        expect(match, `${label}: condition on ${String(condition.fact)}`).to.deep.include(condition);
      }
    } else expect(actual![key], `${label}.${key}`).to.deep.equal(value);
  }
}

function checkCase(c: RuleCase, d: Determination): void {
  const e = c.expect;
  if ('inPolicy' in e) expect(d.inPolicy, 'inPolicy').to.equal(e.inPolicy);
  for (const [id, want] of Object.entries(e.categories ?? {})) checkPart(`category ${id}`, d.categories.find((x) => x.id === id), want);
  for (const [id, want] of Object.entries(e.subBenefits ?? {})) {
    checkPart(`sub-benefit ${id}`, d.categories.flatMap((x) => x.subBenefits).find((x) => x.id === id), want);
  }
  for (const [id, want] of Object.entries(e.checks ?? {})) checkPart(`check ${id}`, d.checks.find((x) => x.id === id), want);
  for (const [id, want] of Object.entries(e.dataChecks ?? {})) checkPart(`data check ${id}`, d.dataChecks.find((x) => x.id === id), want);
  if (e.monitoring) checkPart('monitoring', d.monitoringCandidate, e.monitoring);
  if (e.additions) expect(d.additions.map((a) => a.id), 'additions').to.deep.equal(e.additions);
}

describe('rule test cases (rules/**/tests)', () => {
  it('come in boundary pairs: every pair name of a file has exactly two cases', () => {
    const pairs = new Map<string, number>();
    for (const c of cases) pairs.set(`${c.file} / ${c.pair}`, (pairs.get(`${c.file} / ${c.pair}`) ?? 0) + 1);
    const lone = [...pairs].filter(([, n]) => n !== 2).map(([k, n]) => `${k}: ${n}`);
    expect(lone).to.deep.equal([]);
  });

  let currentFile = '';
  for (const c of cases) {
    if (c.file !== currentFile) currentFile = c.file;
    it(`${c.sentence}（${c.file}）`, async () => {
      const determination = await evaluateHousehold(c.household, c.asOf, { rules });
      checkCase(c, determination);
      if (c.expect.findings) {
        const found = householdFindings(c.household, determination)
          .filter((f) => f.type === 'enrolled-not-eligible' || f.type === 'eligible-not-enrolled')
          .map((f) => `${f.type}:${f.category}`);
        expect(sorted(found), `findings (${c.note})`).to.deep.equal(sorted(c.expect.findings));
      }
    });
  }
});
