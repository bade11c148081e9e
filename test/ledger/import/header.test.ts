import { expect } from 'chai';
import { loadLayout } from '../../../src/ledger/layout';
import { findHeader } from '../../../src/ledger/import/header';
import type { PlainCell } from '../../../src/ledger/import/cell-value';

/** A sheet row as the reader gives it: 1-based cells. */
const row = (...cells: PlainCell[]): PlainCell[] => [null, ...cells];

describe('finding a ledger header by its labels', () => {
  const national = loadLayout('national-member-detail');
  const monitoring = loadLayout('monitoring-list');
  const full = loadLayout('full-template');

  it('passes over a title row and a 填报单位 row and takes the labelled row', () => {
    const rows = [
      row('青山县2024年贫困人口明细'),
      row('填报单位：青山县乡村振兴局', null, null, '填报日期：2024年6月30日'),
      row('序号', '县', '乡（镇）', '行政村', '自然村', '户编号', '人编号', '姓名', '证件号码', '人数', '与户主关系'),
      row(1, '青山县', '城关镇', '青桃村', '一组', '421199001001000001'),
    ];
    const found = findHeader(national, rows, [1, 2, 3, 4]);
    expect(found?.lastHeaderRow).to.equal(3);
    expect(found?.headerRows).to.equal(1);
    expect(found?.missing).to.deep.equal([]);
    expect(found?.columns.get(3)?.field).to.equal('township');
    expect(found?.columns.get(9)?.field).to.equal('members[].idNumber');
  });

  it('matches aliases and labels written with line breaks or full-width brackets', () => {
    const rows = [row('户码', '姓名', '身份证号码', '与户主关系', '县', '乡镇', '村', '务工时间\n（月）')];
    const found = findHeader(national, rows, [5]);
    expect([...found?.columns.values() ?? []].map((c) => c.field)).to.deep.equal(['code', 'members[].name', 'members[].idNumber', 'members[].relation', 'county', 'township', 'village', 'members[].monthsWorked']);
  });

  it('reads a two-level header: a merged group over its labels, one-level labels merged down both rows', () => {
    // As the streaming reader sees merges: the value in the first cell only.
    const upper = row('序号', '县', '乡(镇)', '行政村', '户编号', '姓名', '证件号码', '与户主关系', '防返贫监测', null, null, null, null);
    const lower = row(null, null, null, null, null, null, null, null, '监测对象类型', '风险类型', '风险是否消除', '识别时间', '消除时间');
    const found = findHeader(monitoring, [row('标题'), upper, lower], [1, 2, 3]);
    expect(found?.headerRows).to.equal(2);
    expect(found?.lastHeaderRow).to.equal(3);
    expect(found?.columns.get(12)?.field).to.equal('monitoring.identifiedAt');
    expect(found?.columns.get(2)?.field).to.equal('county');
  });

  it('tells 识别时间 of the household from 识别时间 of the monitoring by the group above it', () => {
    const upper = row('户基本信息', null, null, null, null, '防返贫监测', '家庭成员', null, null, null);
    const lower = row('县', '乡(镇)', '行政村', '户编号', '识别时间', '识别时间', '姓名', '证件号码', '与户主关系', '脱贫状态');
    const found = findHeader(full, [upper, lower], [1, 2]);
    expect(found?.columns.get(5)?.field).to.equal('identifiedAt');
    expect(found?.columns.get(6)?.field).to.equal('monitoring.identifiedAt');
  });

  it('names the required columns a header lacks, and finds nothing in a sheet of other data', () => {
    const found = findHeader(national, [row('序号', '县', '乡(镇)', '行政村', '户编号', '姓名', '与户主关系')], [1]);
    expect(found?.missing.map((c) => c.label)).to.deep.equal(['证件号码']);
    expect(findHeader(national, [row('名称', '数量'), row('a', 1)], [1, 2])).to.equal(null);
  });
});
