/**
 * Rule and parameter files are validated at load (STYLE.md 17). Each bad file is refused with
 * its path and the reason.
 *
 * CASES
 * 1. an unknown fact          4. a rule in force a year before its parameter has a value
 * 2. an unknown operator      5. a file that is not JSON
 * 3. overlapping windows      6. a parameter override with no base parameter, and a second base
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  defaultRulesDir, loadRuleSetsFrom, ruleSetsFor, rulesInForce, RuleLoadError,
} from '../../src/eligibility/ruleset.loader';

let dir: string;

function ruleSetPath(): string {
  return path.join(dir, 'default/ruleset.json');
}

function editRuleSet(edit: (data: any) => void): void {
  const data = JSON.parse(readFileSync(ruleSetPath(), 'utf8'));
  edit(data);
  writeFileSync(ruleSetPath(), JSON.stringify(data, null, 2));
}

function loadError(): RuleLoadError {
  try {
    loadRuleSetsFrom(dir);
  } catch (err) {
    expect(err).to.be.instanceOf(RuleLoadError);
    return err as RuleLoadError;
  }
  throw new Error('the rules loaded');
}

describe('rule set loader', () => {
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fupin-rules-'));
    cpSync(defaultRulesDir, dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the repository rules: the base set, the county addition and the parameters', () => {
    const rules = loadRuleSetsFrom(defaultRulesDir);
    expect(rules.base.id).to.equal('default');
    expect(rules.base.rules.filter((r) => r.kind === 'category').map((r) => r.id)).to.deep.equal([
      'basic-guarantee', 'disability', 'chronic-illness', 'health', 'education', 'industry', 'microloan', 'property-insurance',
    ]);
    expect(rules.base.rules.filter((r) => r.kind === 'check').map((r) => r.id)).to.deep.equal([
      'income', 'compulsory-education', 'basic-medical', 'housing-safety', 'drinking-water',
    ]);
    expect(rules.extensions.map((s) => s.id)).to.deep.equal(['county-981122']);
    expect(rules.parameters.get('dibaoLine')!.regions.map((r) => r.prefix)).to.deep.equal(['981122', '98']);
    expect(rules.hash).to.match(/^[0-9a-f]{64}$/);
  });

  it('gives the same hash for the same files and another when a file changes', () => {
    const a = loadRuleSetsFrom(dir).hash;
    expect(loadRuleSetsFrom(dir).hash).to.equal(a);
    editRuleSet((d) => { d.version = '2024.2'; });
    expect(loadRuleSetsFrom(dir).hash).to.not.equal(a);
  });

  it('adds a county rule set only for households under its prefix', () => {
    const rules = loadRuleSetsFrom(dir);
    expect(ruleSetsFor(rules, '981122001001').map((s) => s.id)).to.deep.equal(['default', 'county-981122']);
    expect(ruleSetsFor(rules, '980117001001').map((s) => s.id)).to.deep.equal(['default']);
  });

  it('keeps only the rules in force on the date', () => {
    const rules = loadRuleSetsFrom(dir);
    expect(rulesInForce(rules.base, '2020-06-30').map((r) => r.id)).to.not.include('income');
    expect(rulesInForce(rules.base, '2021-01-01').map((r) => r.id)).to.include('income');
  });

  it('refuses a rule on an unknown fact, naming the file', () => {
    editRuleSet((d) => { d.rules[0].conditions.all[0].fact = 'inPolicyy'; });
    const err = loadError();
    expect(err.problems[0].file).to.equal('default/ruleset.json');
    expect(err.problems[0].reason).to.contain('unknown fact inPolicyy');
    expect(err.message).to.contain('default/ruleset.json');
  });

  it('refuses an unknown operator', () => {
    editRuleSet((d) => { d.rules[1].conditions.all[1].operator = 'moreThan'; });
    expect(loadError().problems[0].reason).to.contain('unknown operator moreThan');
  });

  it('refuses two windows of one rule that overlap', () => {
    editRuleSet((d) => {
      const again = structuredClone(d.rules[0]);
      again.effectiveFrom = '2023-01-01';
      d.rules.push(again);
    });
    const err = loadError();
    expect(err.problems.map((p) => p.reason).join('\n')).to.contain('rule basic-guarantee: the window from 2020-01-01 to open overlaps the one from 2023-01-01');
  });

  it('accepts a rule superseded by a new version once the old window is closed', () => {
    editRuleSet((d) => {
      const again = structuredClone(d.rules[0]);
      again.effectiveFrom = '2023-01-01';
      d.rules[0].effectiveTo = '2022-12-31';
      d.rules.push(again);
    });
    const rules = loadRuleSetsFrom(dir);
    expect(rulesInForce(rules.base, '2022-12-31').find((r) => r.id === 'basic-guarantee')!.effectiveFrom).to.equal('2020-01-01');
    expect(rulesInForce(rules.base, '2023-01-01').find((r) => r.id === 'basic-guarantee')!.effectiveFrom).to.equal('2023-01-01');
  });

  it('refuses a rule in force before its parameter has a value (a missing parameter year)', () => {
    editRuleSet((d) => { d.rules[0].effectiveFrom = '2019-01-01'; });
    const reason = loadError().problems.map((p) => p.reason).join('\n');
    expect(reason).to.contain('parameter dibaoLine has no value in force on 2019-01-01');
  });

  it('refuses a parameter that stops while a rule still needs it', () => {
    const file = path.join(dir, 'default/parameters/monitoringLine.json');
    const data = JSON.parse(readFileSync(file, 'utf8'));
    data.values['2025-01-01'] = null;
    writeFileSync(file, JSON.stringify(data));
    expect(loadError().problems.map((p) => p.reason).join('\n')).to.contain('parameter monitoringLine stops on 2025-01-01');
  });

  it('refuses a file that is not JSON, naming it', () => {
    writeFileSync(path.join(dir, 'default/parameters/dibaoLine.json'), '{ "name": "dibaoLine", ');
    const err = loadError();
    expect(err.problems.map((p) => p.file)).to.include('default/parameters/dibaoLine.json');
    expect(err.problems.find((p) => p.file === 'default/parameters/dibaoLine.json')!.reason).to.contain('not valid JSON');
  });

  it('refuses a reference to a parameter that does not exist', () => {
    editRuleSet((d) => { d.rules[0].conditions.all[1].any[2].all[0].value = { fact: 'dibaoLevel' }; });
    expect(loadError().problems[0].reason).to.contain('value refers to dibaoLevel, which is not a parameter');
  });

  it('refuses a parameter named like a fact, which a rule could not tell apart from it', () => {
    writeFileSync(path.join(dir, 'default/parameters/memberCount.json'), JSON.stringify({
      name: 'memberCount', description: 'x', unit: 'x', reference: 'x', values: { '2014-01-01': 3 },
    }));
    const problem = loadError().problems[0];
    expect(problem.file).to.equal('default/parameters/memberCount.json');
    expect(problem.reason).to.contain('parameter memberCount has the name of a fact');
  });

  it('refuses an override file for a parameter that has no base values, and a second base', () => {
    writeFileSync(path.join(dir, 'provinces/98/parameters/fooLine.json'), JSON.stringify({ name: 'fooLine', regions: { 98: { values: { '2024-01-01': 1 } } } }));
    writeFileSync(path.join(dir, 'counties/981122/parameters/laborAge.json'), JSON.stringify({
      name: 'laborAge', description: 'x', unit: 'x', reference: 'x', values: { '2014-01-01': { min: 16, max: 60 } },
    }));
    const reasons = loadError().problems.map((p) => `${p.file}: ${p.reason}`).join('\n');
    expect(reasons).to.contain('provinces/98/parameters/fooLine.json: parameter fooLine has no base values anywhere');
    expect(reasons).to.match(/parameter laborAge has base values both here and in (default|counties\/981122)\/parameters\/laborAge.json/);
  });

  it('refuses a county rule that reuses a default rule id', () => {
    const file = path.join(dir, 'counties/981122/ruleset.json');
    const data = JSON.parse(readFileSync(file, 'utf8'));
    data.rules[0].id = 'industry';
    data.rules[0].event.params.id = 'industry';
    writeFileSync(file, JSON.stringify(data));
    expect(loadError().problems.map((p) => p.reason).join('\n')).to.contain('rule industry is already defined in default/ruleset.json');
  });

  it('refuses a category counting persons no predicate names', () => {
    editRuleSet((d) => { d.rules[1].persons = 'blind'; });
    expect(loadError().problems[0].reason).to.contain('persons must be none or one of');
  });

  it('makes the server refuse to start on a bad rules folder, naming the file', function () {
    this.timeout(60_000);
    editRuleSet((d) => { d.rules[2].conditions.all[1].fact = 'noSuchFact'; });
    const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', path.resolve(__dirname, '../../src/server.ts')], {
      env: { ...process.env, RULES_DIR: dir, PORT: '0', DATA_DIR: path.join(dir, 'data'), MONGODB_URI: '', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 50_000,
    });
    expect(result.status).to.equal(1);
    expect(result.stderr).to.contain('default/ruleset.json');
    expect(result.stderr).to.contain('unknown fact noSuchFact');
  });
});
