import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { LayoutError, listLayouts, loadAllLayouts, loadLayout, readLayoutFile, vocabularyOf } from '../../../src/ledger/layout';

describe('ledger layouts (imports/layouts)', () => {
  it('ships the three layouts of issue 6 and every one is valid', () => {
    expect(listLayouts()).to.include.members(['national-member-detail', 'monitoring-list', 'full-template']);
    expect(loadAllLayouts().map((l) => l.id)).to.deep.equal(listLayouts());
  });

  it('describes the national 贫困人口明细 columns in the national order', () => {
    const labels = loadLayout('national-member-detail').columns.map((c) => c.label);
    expect(labels).to.deep.equal(['序号', '县', '乡(镇)', '行政村', '自然村', '户编号', '人编号', '姓名', '证件号码', '人数', '与户主关系', '民族', '文化程度', '在校生状况', '健康状况', '劳动技能', '务工状况', '务工时间(月)', '参加大病医疗', '脱贫属性', '脱贫年度', '贫困户属性', '主要致贫原因', '危房户', '饮水安全', '人均纯收入', '联系电话']);
  });

  it('gives every vocabulary column a vocabulary of vocabulary.ts', () => {
    for (const layout of loadAllLayouts()) {
      for (const column of layout.columns.filter((c) => c.type === 'vocab' || c.type === 'vocabList')) {
        expect(vocabularyOf(column).entries.length, `${layout.id} ${column.label}`).to.be.greaterThan(0);
      }
    }
  });

  it('covers every field of the household JSON in the full template', () => {
    const fields = new Set(loadLayout('full-template').columns.map((c) => c.field));
    for (const f of ['code', 'regionCode', 'group', 'status', 'exitYear', 'identifiedAt', 'standard', 'dibao', 'tekun', 'tekunCare', 'causes.main', 'causes.others',
      'income.wage', 'income.business', 'income.transfer', 'income.property', 'income.productionCost', 'perCapitaNetIncome', 'housingSafe', 'waterSafe',
      'wantsIndustry', 'badCredit', 'microloanBalance', 'medicalOutOfPocket', 'suddenHardship', 'monitoring.type', 'monitoring.risks', 'monitoring.identifiedAt',
      'monitoring.riskEliminated', 'monitoring.eliminatedAt', 'helpers', 'supports', 'visits', 'phone', 'members[].name', 'members[].gender', 'members[].idNumber',
      'members[].birthDate', 'members[].relation', 'members[].ethnicity', 'members[].education', 'members[].schooling', 'members[].health',
      'members[].disability.category', 'members[].disability.grade', 'members[].labor', 'members[].employment', 'members[].monthsWorked',
      'members[].homeSchooling', 'members[].insurance.medical', 'members[].insurance.seriousIllness', 'members[].insurance.pension', 'members[].phone']) {
      expect(fields.has(f), f).to.equal(true);
    }
  });

  it('refuses a bad layout file with an error that names the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layout-'));
    const file = path.join(dir, 'broken.json');
    fs.writeFileSync(file, JSON.stringify({ id: 'broken', title: 't', sheet: 's', rowKind: 'member', headerRows: 1, columns: [{ label: '户编号', field: 'nonsense', type: 'text', householdLevel: true }] }));
    expect(() => readLayoutFile(file)).to.throw(LayoutError, /broken\.json/);
    fs.writeFileSync(file, '{ not json');
    expect(() => readLayoutFile(file)).to.throw(LayoutError, /broken\.json/);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(() => loadLayout('no-such-layout')).to.throw(LayoutError, /no layout/);
  });
});
