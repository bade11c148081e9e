import { expect } from 'chai';
import { evaluateHousehold } from '../../src/eligibility/evaluate';
import { defaultRulesDir, loadRuleSetsFrom } from '../../src/eligibility/ruleset.loader';
import { reportedRules, SummaryBuilder, summarySentence } from '../../src/eligibility/summary';
import { buildCaseHousehold } from './rule-cases';
import base from '../../rules/default/tests/base.json';

const rules = loadRuleSetsFrom(defaultRulesDir);
const household = (overrides: Record<string, unknown>) => buildCaseHousehold(base, overrides);

describe('run summary', () => {
  it('writes POLICY.md\'s own sentence, households-only categories without persons', () => {
    const sentence = summarySentence({
      households: 45,
      persons: 156,
      categories: [
        { id: 'basic-guarantee', name: '兜底保障', households: 12, persons: 20, undetermined: 0 },
        { id: 'disability', name: '残疾帮扶', households: 8, persons: 9, undetermined: 0 },
        { id: 'chronic-illness', name: '慢性病帮扶', households: 6, persons: 6, undetermined: 0 },
        { id: 'health', name: '健康扶贫', households: 30, persons: 101, undetermined: 0 },
        { id: 'education', name: '教育扶贫', households: 14, persons: 19, undetermined: 0 },
        { id: 'industry', name: '产业扶贫', households: 21, persons: null, undetermined: 0 },
        { id: 'microloan', name: '扶贫小额贷款', households: 9, persons: null, undetermined: 0 },
        { id: 'property-insurance', name: '家庭财产保险', households: 44, persons: 154, undetermined: 0 },
      ],
    });
    expect(sentence).to.equal('享受政策的贫困户共45户156人，其中享受兜底保障12户20人，残疾帮扶8户9人，慢性病帮扶6户6人，健康扶贫30户101人，教育扶贫14户19人，产业扶贫21户，扶贫小额贷款9户，家庭财产保险44户154人。');
  });

  it('counts hand-made households: in policy, per category, failing checks and candidates', async () => {
    const builder = new SummaryBuilder(reportedRules(rules, '360721', '2024-06-30'));
    const households = [
      // 1: poor, 2 persons, wants industry → industry, microloan, property insurance
      household({ wantsIndustry: true }),
      // 2: poor 低保, 3 persons, one disabled student in 中职 → basic-guarantee 3, disability 1, health 3, education 1, property 3
      household({ dibao: true, members: [{ relation: 'head' }, { relation: 'spouse' }, { relation: 'son', birthDate: '2007-01-01', schooling: 'secondary-vocational', health: 'disabled', labor: 'none' }] }),
      // 3: exited, low income → not in policy, an unstable candidate
      household({ status: 'exited', income: { wage: 6000, business: 0, transfer: 0, property: 0, productionCost: 0 } }),
      // 4: none, sudden hardship → sudden candidate
      household({ status: 'none', suddenHardship: true }),
      // 5: poor, unsafe water, 1 person
      household({ waterSafe: false, members: [{ relation: 'head' }] }),
    ];
    for (const h of households) builder.add(await evaluateHousehold(h, '2024-06-30', { rules }));
    const s = builder.result();
    expect(s.households).to.equal(3);
    expect(s.persons).to.equal(6);
    expect(s.evaluated).to.equal(5);
    const cat = Object.fromEntries(s.categories.map((c) => [c.id, [c.households, c.persons]]));
    expect(cat).to.deep.equal({
      'basic-guarantee': [1, 3], disability: [1, 1], 'chronic-illness': [0, 0], health: [1, 3], education: [1, 1],
      industry: [1, null], microloan: [1, null], 'property-insurance': [3, 6],
    });
    expect(s.checks.find((c) => c.id === 'drinking-water')!.failing).to.equal(1);
    expect(s.monitoringCandidates).to.deep.equal({ unstable: 1, marginal: 0, sudden: 1, undetermined: 0 });
    expect(s.sentence).to.equal('享受政策的贫困户共3户6人，其中享受兜底保障1户3人，残疾帮扶1户1人，慢性病帮扶0户0人，健康扶贫1户3人，教育扶贫1户1人，产业扶贫1户，扶贫小额贷款1户，家庭财产保险3户6人。');
  });

  it('reports a county\'s added category after the eight for a run over that county only', () => {
    expect(reportedRules(rules, '981122', '2024-06-30').categories.map((c) => c.id).slice(-2)).to.deep.equal(['property-insurance', 'housing-renovation']);
    expect(reportedRules(rules, '360721', '2024-06-30').categories.map((c) => c.id)).to.not.include('housing-renovation');
  });

  it('merges counters of separate batches into the same summary as one builder over all households', async () => {
    const slots = reportedRules(rules, '4211', '2024-06-30');
    const cases = [
      {}, { dibao: true }, { status: 'exited', suddenHardship: true }, { members: [] }, { housingSafe: false, waterSafe: false },
      { income: { wage: null, business: null, transfer: null, property: null, productionCost: null } }, { status: 'none' },
    ];
    const determinations = [];
    for (const overrides of cases) determinations.push(await evaluateHousehold(household(overrides), '2024-06-30', { rules }));
    const whole = new SummaryBuilder(slots);
    for (const d of determinations) whole.add(d);
    const merged = new SummaryBuilder(slots);
    for (const part of [determinations.slice(0, 3), determinations.slice(3)]) {
      const b = new SummaryBuilder(slots);
      for (const d of part) b.add(d);
      const { sentence: _s, ...counters } = b.result();
      merged.merge(counters);
    }
    expect(merged.result()).to.deep.equal(whole.result());
    expect(whole.result().evaluated).to.equal(cases.length);
  });
});
