/**
 * A stored determination keeps every condition, compacted, because a run stores one per household
 * and each byte of it is built in a worker, sent, written to the database and read back:
 *
 * - a condition is a tuple; its parameter's effective date and region repeat what
 *   `determination.parameters` already says;
 * - names (兜底保障 …) come from the run's table of rule names, and a failing data check's reason
 *   from the household's findings, which are stored beside it. What is left is ASCII, which V8
 *   keeps at one byte a character instead of two;
 * - what the run records once (`RunShared`) is left out: the conditions' templates, the rule
 *   set, and the parameter block of the run's region, which nearly every household shares; so
 *   are empty `missingFacts` and a category's rule set when it is the base set;
 * - counted members are indexes, each member's id written once (`packMembers`), and findings
 *   leave out what the result and the run say (`StoredFinding`).
 *
 * Reading a result expands it back to the determination JSON of DESIGN.md, losslessly.
 */
import { parametersInForce, type ConditionResult, type Determination, type MemberRef } from './evaluate';
import { enrolmentReason, isEnrolmentFindingType, type Finding } from './findings';
import { rulesInForce, type CompiledCondition, type LoadedRules } from './ruleset.loader';

/** [fact, operator, factValue, value, result, parameter name or null] */
export type StoredCondition = [string, string, unknown, unknown, boolean | null, string | null];
/** [factValue, result] or, for a condition on a parameter, [factValue, result, value]: see `ConditionTemplates`. */
export type ShortCondition = [unknown, boolean | null] | [unknown, boolean | null, unknown];

/**
 * `short`: the conditions are the rule's template (`ConditionTemplates`) with only what varies
 * per household stored. `missingFacts` is left out when empty (stored before: always there).
 */
type Compact<T> = Omit<T, 'conditions' | 'name' | 'reason' | 'missingFacts'> & { conditions: StoredCondition[] | ShortCondition[]; short?: 1; missingFacts?: string[] };

/**
 * Per rule id in force on a run's date, what each of its conditions says whatever the household
 * ([fact, operator, literal value or null for a parameter, parameter name or null]), in the order
 * the explanation lists them (`runTemplates`). A run stores it once (RunModel `conditionTemplates`), so a stored
 * determination keeps only each condition's fact value and result (and a parameter's value,
 * which a region may override): 5.9 KB a synthetic household became 4.3 KB, for the embedded
 * engine's memory and the run thread's writes; leaving out the rest of `RunShared` and empty
 * lists made it 2.9 KB (3.1 KB in a county with its own rule set).
 */
export type ConditionTemplates = Record<string, [string, string, unknown, string | null][]>;

function templateOf(c: CompiledCondition, out: [string, string, unknown, string | null][]): void {
  if (c.kind === 'leaf') out.push([c.fact, c.operator, c.parameter ? null : c.value, c.parameter ? c.parameter.name : null]);
  else if (c.kind === 'not') templateOf(c.child, out);
  else for (const child of c.children) templateOf(child, out);
}

function conditionTemplates(rules: LoadedRules, asOf: string): ConditionTemplates {
  const templates: ConditionTemplates = {};
  for (const rule of [rules.base, ...rules.extensions].flatMap((set) => rulesInForce(set, asOf))) {
    const out: [string, string, unknown, string | null][] = [];
    templateOf(rule.condition, out);
    templates[rule.id] = out;
  }
  return templates;
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && a !== null && JSON.stringify(a) === JSON.stringify(b));
}

/** The short form of `conditions` when they follow the template exactly; undefined otherwise. */
function shortConditions(conditions: ConditionResult[], template: ConditionTemplates[string] | undefined): ShortCondition[] | undefined {
  if (!template || template.length !== conditions.length) return undefined;
  const out: ShortCondition[] = [];
  for (let i = 0; i < conditions.length; i++) {
    const c = conditions[i];
    const [fact, operator, literal, parameter] = template[i];
    if (c.fact !== fact || c.operator !== operator || (c.parameter?.name ?? null) !== parameter) return undefined;
    if (parameter === null && !sameValue(c.value, literal)) return undefined;
    out.push(parameter === null ? [c.factValue, c.result] : [c.factValue, c.result, c.value]);
  }
  return out;
}

/**
 * `ruleSet` and `parameters` are left out when they are the run's (`RunShared`), a category's
 * `ruleSet` when it is the base set's id; results stored before this always have them.
 */
export type StoredDetermination = Omit<Determination, 'categories' | 'checks' | 'dataChecks' | 'monitoringCandidate' | 'ruleSet' | 'parameters'> & {
  ruleSet?: Determination['ruleSet'];
  parameters?: Determination['parameters'];
  /** Member id by member index, for the member lists stored as indexes (`StoredMembers`). */
  memberIds?: (string | null)[];
  categories: (Omit<Compact<Determination['categories'][number]>, 'subBenefits' | 'ruleSet' | 'members'> & {
    ruleSet?: string;
    members: StoredMembers;
    subBenefits: (Omit<Determination['categories'][number]['subBenefits'][number], 'name' | 'members'> & { members: StoredMembers })[];
  })[];
  checks: Compact<Determination['checks'][number]>[];
  dataChecks: Compact<Determination['dataChecks'][number]>[];
  monitoringCandidate: Compact<Determination['monitoringCandidate']>;
};

/**
 * One household's stored result of a run, without the run id: built where the household was
 * evaluated (a worker thread), so the run's main thread, which also serves the embedded
 * database, only adds the run id and inserts.
 *
 * The determination and the findings are JSON, stored as UTF-8 bytes (BSON binary): nothing
 * queries inside them (the `categories` and `findingTypes` filters do). Nested documents were
 * most of a county run's BSON work; as text, decoding the 3–4 KB string of every inserted result
 * was still 9% of the main thread's profile, where bytes are copied as they are.
 */
export interface StoredResult {
  householdCode: string;
  regionCode: string | null;
  inPolicy: boolean | null;
  categories: string[];
  findingTypes: string[];
  determination: Uint8Array;
  findings: Uint8Array;
}

const utf8 = new TextEncoder();

export function storedResult(d: Determination, findings: Finding[], shared?: RunShared): StoredResult {
  return {
    householdCode: d.householdCode ?? '', regionCode: d.regionCode, inPolicy: d.inPolicy,
    categories: d.categories.filter((c) => c.status === 'eligible').map((c) => c.id),
    findingTypes: [...new Set(findings.map((f) => f.type))],
    determination: utf8.encode(JSON.stringify(compactDetermination(d, shared))),
    findings: utf8.encode(JSON.stringify(compactFindings(findings, d))),
  };
}

/**
 * A finding as stored. What the result and the run already say is left out: the household and
 * region (the result's own), the rule (an enrolment finding's category, a data check's own id)
 * and an enrolment finding's reason (fixed words around the category's name and the run's date,
 * findings.ts `enrolmentReason`). So an enrolment finding is [type, category] and a failing
 * data check [type, reason] or [type, reason, idNumbers]. Most of a county's findings are
 * enrolment findings, and their Chinese reasons were a fifth of a stored result's bytes, and
 * the only text in it that was not ASCII. A finding that does not follow this shape (none the
 * service makes) is stored whole, as every finding was before.
 */
export type StoredFinding = Finding | [string, string] | [string, string, string[]];

/** Where a stored finding's household, region, date and category names come from when read back. */
export interface FindingContext { householdCode: string; regionCode: string | null; asOf: string; names: Record<string, string> }

function compactFindings(findings: Finding[], d: Determination): StoredFinding[] {
  const householdCode = d.householdCode ?? '';
  const regionCode = d.regionCode ?? '';
  const out: StoredFinding[] = [];
  for (const f of findings) {
    if (f.householdCode !== householdCode || f.regionCode !== regionCode) out.push(f);
    else if (isEnrolmentFindingType(f.type)) {
      const category = f.category === undefined ? undefined : d.categories.find((c) => c.id === f.category);
      const short = category && f.rule === category.id && f.idNumbers === undefined && f.reason === enrolmentReason(f.type, category.name, d.asOf);
      out.push(short ? [f.type, category.id] : f);
    } else if (f.rule === f.type && f.category === undefined) {
      out.push(f.idNumbers === undefined ? [f.type, f.reason] : [f.type, f.reason, f.idNumbers]);
    } else out.push(f);
  }
  return out;
}

/** A stored finding back as the finding it was (key order included). */
function expandFinding(stored: StoredFinding, context: FindingContext | undefined): Finding {
  if (!Array.isArray(stored)) return stored;
  if (!context) throw new Error('a stored finding needs its result and run to be read back');
  const [type, second, idNumbers] = stored;
  const householdCode = context.householdCode;
  const regionCode = context.regionCode ?? '';
  if (isEnrolmentFindingType(type)) {
    return { type, rule: second, category: second, householdCode, regionCode, reason: enrolmentReason(type, context.names[second] ?? second, context.asOf) };
  }
  const finding: Finding = { type, rule: type, householdCode, regionCode, reason: second };
  if (idNumbers !== undefined) finding.idNumbers = idNumbers;
  return finding;
}

/** JSON read back from a stored field: bytes (a BSON binary or a Buffer) or, stored earlier, text. */
function storedJson(stored: unknown): unknown {
  if (typeof stored === 'string') return JSON.parse(stored);
  if (stored instanceof Uint8Array) return JSON.parse(Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).toString('utf8'));
  const bytes = (stored as { buffer?: unknown } | null)?.buffer; // a BSON Binary
  if (bytes instanceof Uint8Array) return storedJson(bytes);
  return stored;
}

/** The compacted determination of a stored result. */
export function storedDetermination(stored: unknown): StoredDetermination {
  return storedJson(stored) as StoredDetermination;
}

/**
 * The findings of a stored result (results stored before they were JSON: the array itself).
 * `context`: the result's household and region, the run's date and rule names
 * (`findingContext`), which findings stored in their short form leave out.
 */
export function storedFindings(stored: unknown, context?: FindingContext): Finding[] {
  const findings = storedJson(stored);
  return Array.isArray(findings) ? (findings as StoredFinding[]).map((f) => expandFinding(f, context)) : [];
}

/** The `FindingContext` of a stored result of `run`. */
export function findingContext(result: { householdCode: string; regionCode?: string | null }, run: { asOf: string; ruleNames?: Record<string, string> | null }): FindingContext {
  return { householdCode: result.householdCode, regionCode: result.regionCode ?? null, asOf: run.asOf, names: run.ruleNames ?? {} };
}

/** Rule, sub-benefit and monitoring-type id → name, for every rule of the loaded sets. */
export function ruleNames(rules: LoadedRules): Record<string, string> {
  const names: Record<string, string> = {};
  for (const rule of [rules.base, ...rules.extensions].flatMap((s) => s.rules)) {
    names[rule.id] = rule.name;
    for (const s of rule.subBenefits) names[s.id] = s.name;
  }
  return names;
}

function packConditions(conditions: ConditionResult[]): StoredCondition[] {
  return conditions.map((c) => [c.fact, c.operator, c.factValue, c.value, c.result, c.parameter?.name ?? null]);
}

/**
 * The stored form of `d`. Written out field by field rather than with rest/spread copies: a county
 * run compacts a determination per household, and the generic copies were a fifth of a run
 * worker's time (profile of a 30k-household run). What is left out is simply not set; the stored
 * key order does not matter, since `expandDetermination` writes the determination's own.
 */
export function compactDetermination(d: Determination, shared?: RunShared): StoredDetermination {
  // Loops and module-level helpers, not closures: under tsx every closure made per call also
  // pays for its name (esbuild keepNames), and this runs once per household of a county run.
  const templates = shared?.templates ?? undefined;
  const baseId = shared?.ruleSet?.id;
  const memberIds: (string | null)[] = [];
  const categories: StoredDetermination['categories'] = [];
  for (const c of d.categories) {
    const p = pack(c.conditions, c.id, templates);
    const subBenefits: StoredDetermination['categories'][number]['subBenefits'] = [];
    for (const b of c.subBenefits) subBenefits.push({ id: b.id, status: b.status, persons: b.persons, members: packMembers(b.members, memberIds) });
    const out: StoredDetermination['categories'][number] = {
      id: c.id, status: c.status, persons: c.persons, members: packMembers(c.members, memberIds), conditions: p.conditions, subBenefits,
    };
    if (c.missingFacts.length > 0) out.missingFacts = c.missingFacts;
    if (c.ruleSet !== baseId) out.ruleSet = c.ruleSet;
    if (p.short) out.short = p.short;
    categories.push(out);
  }
  const m = d.monitoringCandidate;
  const pm = pack(m.conditions, monitoringRule(templates), templates);
  const monitoringCandidate: StoredDetermination['monitoringCandidate'] = { candidate: m.candidate, type: m.type, status: m.status, conditions: pm.conditions };
  if (m.missingFacts.length > 0) monitoringCandidate.missingFacts = m.missingFacts;
  if (pm.short) monitoringCandidate.short = pm.short;
  const out: StoredDetermination = {
    asOf: d.asOf, householdCode: d.householdCode, regionCode: d.regionCode, additions: d.additions, inPolicy: d.inPolicy,
    memberCount: d.memberCount, categories, checks: packChecks(d.checks, templates), monitoringCandidate, dataChecks: packChecks(d.dataChecks, templates),
  };
  if (memberIds.length > 0) out.memberIds = memberIds;
  if (!shared?.ruleSet || !sameRuleSet(d.ruleSet, shared.ruleSet)) out.ruleSet = d.ruleSet;
  if (!shared?.parameters || !sameParameters(d.parameters, shared.parameters)) out.parameters = d.parameters;
  return out;
}

/**
 * A category's counted members as stored: their indexes, with each member's id once in the
 * determination's `memberIds`, where every list repeated {index, id} (a member of an in-policy
 * household is counted by three or four categories, and an id is 24 characters). A list whose
 * ids disagree with those already recorded (none the service makes) is stored as it is.
 */
type StoredMembers = MemberRef[] | number[];

function packMembers(refs: MemberRef[], memberIds: (string | null)[]): StoredMembers {
  if (refs.length === 0) return refs;
  for (let i = 0; i < refs.length; i++) {
    const r = refs[i];
    if (!Number.isInteger(r.index) || r.index < 0 || r.index > MAX_MEMBER_INDEX) return refs;
    // A member index not recorded yet is a hole (undefined), which JSON writes as null.
    const known = memberIds[r.index];
    if (known !== undefined && known !== r.id) return refs;
    for (let j = 0; j < i; j++) if (refs[j].index === r.index && refs[j].id !== r.id) return refs;
  }
  const indexes: number[] = [];
  for (const r of refs) {
    memberIds[r.index] = r.id;
    indexes.push(r.index);
  }
  return indexes;
}

/** Beyond any household's members (the registry caps them far lower): keeps `memberIds` small. */
const MAX_MEMBER_INDEX = 999;

function expandMembers(stored: StoredMembers, memberIds: (string | null)[] | undefined): MemberRef[] {
  const out: MemberRef[] = [];
  for (const m of stored) out.push(typeof m === 'number' ? { index: m, id: memberIds?.[m] ?? null } : m);
  return out;
}

/** A rule's conditions in their short form when they follow its template, else in full. */
function pack(conditions: ConditionResult[], id: string | undefined, templates: ConditionTemplates | undefined): Packed {
  const short = templates && id !== undefined ? shortConditions(conditions, templates[id]) : undefined;
  return short ? { conditions: short, short: 1 } : { conditions: packConditions(conditions) };
}

function packChecks(checks: Determination['checks'], templates: ConditionTemplates | undefined): StoredDetermination['checks'] {
  const out: StoredDetermination['checks'] = [];
  for (const c of checks) {
    const p = pack(c.conditions, c.id, templates);
    const check: StoredDetermination['checks'][number] = { id: c.id, status: c.status, conditions: p.conditions };
    if (c.missingFacts.length > 0) check.missingFacts = c.missingFacts;
    if (p.short) check.short = p.short;
    out.push(check);
  }
  return out;
}

interface Packed { conditions: StoredCondition[] | ShortCondition[]; short?: 1 }

/** The monitoring result names no rule: the template of the one monitoring rule in force. */
function monitoringRule(templates: ConditionTemplates | undefined): string | undefined {
  return templates ? MONITORING_TEMPLATE in templates ? MONITORING_TEMPLATE : undefined : undefined;
}
/** Key of the monitoring rule's template (only the base rule set screens, ruleset.loader.ts). */
const MONITORING_TEMPLATE = '#monitoring';

/** `conditionTemplates` plus the monitoring rule's under its own key. */
export function runTemplates(rules: LoadedRules, asOf: string): ConditionTemplates {
  const templates = conditionTemplates(rules, asOf);
  const monitoring = rulesInForce(rules.base, asOf).find((r) => r.kind === 'monitoring');
  if (monitoring) templates[MONITORING_TEMPLATE] = templates[monitoring.id];
  return templates;
}

/**
 * A determination's `parameters` as a list of [name, value, effectiveFrom, region], in its order:
 * how a run stores its block, since parameter names have dots (microloan.age), which the keys of a
 * stored document may not.
 */
export type ParameterEntry = [string, unknown, string, string | null];

/**
 * What a run records once (RunModel `conditionTemplates`, `ruleSet`, `householdParameters`), and
 * its stored determinations therefore leave out. null: not recorded (a run stored before it was):
 * the results of such a run have the field themselves.
 */
export interface RunShared {
  templates: ConditionTemplates | null;
  ruleSet: Determination['ruleSet'] | null;
  /**
   * The parameter block of a household of the run's region (its prefix): every household's but
   * those under a more specific regional override, or under an extension rule set of a
   * sub-region, whose determinations keep their own.
   */
  parameters: ParameterEntry[] | null;
}

/** What a run over `regionPrefix` (regions/region-code.ts `regionPrefix`) on `asOf` records once. */
export function runShared(rules: LoadedRules, regionPrefix: string, asOf: string): RunShared {
  const block = parametersInForce(rules, regionPrefix, asOf);
  return {
    templates: runTemplates(rules, asOf),
    ruleSet: { id: rules.base.id, version: rules.base.version, hash: rules.hash },
    parameters: Object.keys(block).map((name): ParameterEntry => [name, block[name].value, block[name].effectiveFrom, block[name].region]),
  };
}

/** The `RunShared` of a run document as read back (a run stored earlier lacks some of it). */
export function sharedOfRun(run: { conditionTemplates?: unknown; ruleSet?: unknown; householdParameters?: unknown }): RunShared {
  return {
    templates: (run.conditionTemplates as ConditionTemplates | undefined) ?? null,
    ruleSet: (run.ruleSet as Determination['ruleSet'] | undefined) ?? null,
    parameters: (run.householdParameters as ParameterEntry[] | undefined) ?? null,
  };
}

function sameRuleSet(a: Determination['ruleSet'], b: Determination['ruleSet']): boolean {
  return a.id === b.id && a.version === b.version && a.hash === b.hash;
}

/**
 * Whether `parameters` is the run's block: the same names in the same order, each with the same
 * value, date and region. Values are nearly always the very objects the block holds (both come
 * from the same resolved parameters, evaluate.ts `parametersInForce`), so JSON is the fallback.
 */
function sameParameters(parameters: Determination['parameters'], block: ParameterEntry[]): boolean {
  let i = 0;
  for (const name in parameters) {
    const entry = block[i++];
    if (entry === undefined || entry[0] !== name) return false;
    const p = parameters[name];
    if (p.effectiveFrom !== entry[2] || p.region !== entry[3] || !sameValue(p.value, entry[1])) return false;
  }
  return i === block.length;
}

function blockOf(entries: ParameterEntry[]): Determination['parameters'] {
  const block: Determination['parameters'] = {};
  for (const [name, value, effectiveFrom, region] of entries) block[name] = { value, effectiveFrom, region };
  return block;
}

/**
 * A stored determination back as the determination JSON of DESIGN.md, with what it left out
 * taken from the run (`shared`, `sharedOfRun`). Built key by key in the determination's own
 * order, so the JSON text is the evaluated one's, byte for byte. A result stored before fields
 * were left out has them, and they win.
 */
export function expandDetermination(s: StoredDetermination, names: Record<string, string>, findings: Finding[], shared?: RunShared | null): Determination {
  const templates = shared?.templates;
  const need = <T>(value: T | null | undefined, what: string): T => {
    if (value === null || value === undefined) throw new Error(`a stored determination without its ${what} needs the run's`);
    return value;
  };
  const parameters = s.parameters ?? blockOf(need(shared?.parameters, 'parameters'));
  const ruleSet = s.ruleSet ?? need(shared?.ruleSet, 'rule set');
  const full = (stored: StoredCondition[]): ConditionResult[] => stored.map(([fact, operator, factValue, value, result, name]) => {
    const p = name === null ? undefined : parameters[name];
    return { fact, operator, factValue, value, parameter: p ? { name: name!, effectiveFrom: p.effectiveFrom, region: p.region } : null, result };
  });
  const fromTemplate = (stored: ShortCondition[], id: string | undefined): ConditionResult[] => {
    const template = id === undefined ? undefined : templates?.[id];
    if (!template) throw new Error(`stored conditions of ${id ?? 'a rule'} need the run's condition template`);
    return full(stored.map(([factValue, result, value], i): StoredCondition => {
      const [fact, operator, literal, name] = template[i];
      return [fact, operator, factValue, name === null ? literal : value, result, name];
    }));
  };
  const conditions = (stored: StoredCondition[] | ShortCondition[], short: 1 | undefined, id: string | undefined): ConditionResult[] =>
    (short ? fromTemplate(stored as ShortCondition[], id) : full(stored as StoredCondition[]));
  const name = (id: string) => names[id] ?? id;
  const m = s.monitoringCandidate;
  return {
    asOf: s.asOf, householdCode: s.householdCode, regionCode: s.regionCode,
    ruleSet: { id: ruleSet.id, version: ruleSet.version, hash: ruleSet.hash },
    additions: s.additions, inPolicy: s.inPolicy, memberCount: s.memberCount,
    categories: s.categories.map((c) => ({
      id: c.id, name: name(c.id), status: c.status, persons: c.persons, members: expandMembers(c.members, s.memberIds), missingFacts: c.missingFacts ?? [],
      conditions: conditions(c.conditions, c.short, c.id),
      subBenefits: c.subBenefits.map((b) => ({ id: b.id, name: name(b.id), status: b.status, persons: b.persons, members: expandMembers(b.members, s.memberIds) })),
      ruleSet: c.ruleSet ?? need(shared?.ruleSet, 'rule set').id,
    })),
    checks: s.checks.map((c) => ({ id: c.id, name: name(c.id), status: c.status, missingFacts: c.missingFacts ?? [], conditions: conditions(c.conditions, c.short, c.id) })),
    monitoringCandidate: {
      candidate: m.candidate, type: m.type, status: m.status, missingFacts: m.missingFacts ?? [], conditions: conditions(m.conditions, m.short, MONITORING_TEMPLATE),
    },
    dataChecks: s.dataChecks.map((c) => ({
      id: c.id, name: name(c.id), status: c.status, missingFacts: c.missingFacts ?? [], conditions: conditions(c.conditions, c.short, c.id),
      reason: c.status === 'fail' ? (findings.find((f) => f.type === c.id)?.reason ?? name(c.id)) : null,
    })),
    parameters,
  };
}
