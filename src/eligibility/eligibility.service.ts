/**
 * One household at a time, nothing stored: `POST /eligibility/evaluate`, `GET
 * /households/:code/eligibility`, and what rules are in force on a date (`GET /rules`).
 */
import { getHousehold, validateHousehold, type FieldError } from '../registry/household.service';
import type { Household } from '../registry/household.types';
import type { Actor } from '../users/actor';
import { evaluateWithFacts, type Determination } from './evaluate';
import { householdFindings, type Finding } from './findings';
import { resolveParameter } from './parameters';
import { currentRules, rulesInForce } from './ruleset.loader';

export interface EvaluationView extends Determination {
  findings: Finding[];
  /** The registry's verdict on the household as given: evaluation goes ahead either way. */
  validation: { valid: boolean; errors: FieldError[] };
}

/**
 * Evaluates a household posted by a client. It is checked with the registry's own rules, but a
 * household with missing or odd-typed fields is still evaluated: the rules that need what is
 * missing come out undetermined (POLICY.md), and the validation errors travel with the answer.
 */
export async function evaluateInput(household: Record<string, unknown>, asOf: string): Promise<EvaluationView> {
  const { value, errors } = validateHousehold(household);
  const subject = (value ?? household) as Partial<Household>;
  const { determination, facts } = await evaluateWithFacts(subject, asOf);
  return { ...determination, findings: householdFindings(subject, determination, facts), validation: { valid: errors.length === 0, errors } };
}

/** A stored household's determination; outside the caller's region it does not exist (404). */
export async function householdEligibility(actor: Actor, code: string, asOf: string): Promise<Determination & { findings: Finding[] }> {
  const household = await getHousehold(actor, code);
  const { determination, facts } = await evaluateWithFacts(household, asOf);
  return { ...determination, findings: householdFindings(household, determination, facts) };
}

/** Rule sets, their rules and the parameters in force on `asOf` (with every regional override). */
export function rulesView(asOf: string) {
  const rules = currentRules();
  const sets = [rules.base, ...rules.extensions].map((s) => ({
    id: s.id, version: s.version, title: s.title, reference: s.reference, appliesTo: s.appliesTo, file: s.file,
    rules: rulesInForce(s, asOf).map((r) => ({
      id: r.id, kind: r.kind, name: r.name, title: r.title, legalReference: r.legalReference,
      effectiveFrom: r.effectiveFrom, effectiveTo: r.effectiveTo, persons: r.persons ?? (r.kind === 'category' ? 'none' : null),
      subBenefits: r.subBenefits.map((b) => ({ id: b.id, name: b.name, title: b.title, persons: b.persons })),
      types: r.types.map((t) => ({ id: t.id, name: t.name, title: t.title })),
      parameters: r.parameters, conditions: r.source.conditions,
    })),
  }));
  const parameters = [...rules.parameters.values()].map((p) => {
    const base = resolveParameter({ ...p, regions: [] }, '', asOf);
    return {
      name: p.name, description: p.description, unit: p.unit, reference: p.reference,
      value: base?.value ?? null, effectiveFrom: base?.effectiveFrom ?? null,
      regions: p.regions.flatMap((r) => {
        const v = resolveParameter({ ...p, regions: [r] }, r.prefix.padEnd(12, '0'), asOf);
        return v && v.region ? [{ prefix: r.prefix, value: v.value, effectiveFrom: v.effectiveFrom }] : [];
      }),
    };
  });
  return {
    asOf, hash: rules.hash, ruleSets: sets,
    categories: sets.flatMap((s) => s.rules.filter((r) => r.kind === 'category').map((r) => ({ id: r.id, name: r.name, ruleSet: s.id, persons: r.persons }))),
    parameters,
  };
}
