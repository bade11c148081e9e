import { expect } from 'chai';
import { health, schooling } from '../../../src/registry/vocabulary';
import { parseCell, parseDateText, plainCell, serialToIso } from '../../../src/ledger/import/cell-value';

describe('reading ledger cells as a person reads them', () => {
  describe('plainCell', () => {
    it('joins rich text runs into plain text', () => {
      expect(plainCell({ richText: [{ text: '张' }, { font: { bold: true }, text: '三' }] })).to.equal('张三');
    });
    it('takes a formula cell\'s cached result, and an error as empty', () => {
      expect(plainCell({ formula: 'B2*2', result: 4200 })).to.equal(4200);
      expect(plainCell({ sharedFormula: 'C2', result: '是' })).to.equal('是');
      expect(plainCell({ formula: 'A1/0', result: { error: '#DIV/0!' } })).to.equal(null);
      expect(plainCell({ error: '#N/A' })).to.equal(null);
    });
    it('takes a hyperlink\'s text and drops blank strings', () => {
      expect(plainCell({ text: '王伟', hyperlink: 'https://example.invalid' })).to.equal('王伟');
      expect(plainCell('   ')).to.equal(null);
    });
    it('reads back text our export neutralised against formulas', () => {
      expect(plainCell("'=1+1")).to.equal('=1+1');
      expect(plainCell("'张三")).to.equal("'张三");
    });
  });

  describe('dates, without a one-day shift', () => {
    // CASE 1: Excel serial 43525 is 2019-03-01 (1900 system), whatever the process time zone.
    // CASE 2: text in the four ways cadres type it.
    // CASE 3: a Date from exceljs is midnight UTC of the day shown.
    // CASE 4: impossible days are refused, not rolled over.
    it('reads an Excel serial number as the day Excel shows', () => {
      expect(serialToIso(43525)).to.equal('2019-03-01');
      expect(serialToIso(43525.75)).to.equal('2019-03-01');
      expect(serialToIso(61)).to.equal('1900-03-01');
      expect(parseCell(43525, 'date', '识别时间')).to.deep.equal({ value: '2019-03-01' });
    });
    it('reads 2019/3/1, 2019-03-01, 2019年3月1日, 2019.3.1 and 20190301', () => {
      for (const text of ['2019/3/1', '2019-03-01', '2019年3月1日', '2019.3.1', '20190301', ' 2019 年 3 月 1 日 ']) {
        expect(parseDateText(text), text).to.equal('2019-03-01');
      }
      expect(parseCell(20190301, 'date', '识别时间')).to.deep.equal({ value: '2019-03-01' });
      expect(parseCell('43525', 'date', '识别时间')).to.deep.equal({ value: '2019-03-01' });
    });
    it('reads a Date cell by its UTC day', () => {
      expect(parseCell(new Date(Date.UTC(2019, 2, 1)), 'date', '识别时间')).to.deep.equal({ value: '2019-03-01' });
    });
    it('refuses 2019-02-30 and words with INVALID_DATE', () => {
      expect(parseCell('2019-02-30', 'date', '识别时间')).to.have.nested.property('error.code', 'INVALID_DATE');
      expect(parseCell('去年三月', 'date', '识别时间')).to.have.nested.property('error.code', 'INVALID_DATE');
    });
  });

  describe('typed cells', () => {
    it('refuses an ID number stored as a number: its digits are already lost', () => {
      // 440524188001010014 typed into a number cell: Excel keeps 15 significant digits.
      const parsed = parseCell(Number('440524188001010014'), 'idNumber', '证件号码');
      expect(parsed).to.have.nested.property('error.code', 'ID_NUMBER_NOT_TEXT');
    });
    it('keeps an ID number typed as text, upper-casing x', () => {
      expect(parseCell('11010519491231002x', 'idNumber', '证件号码')).to.deep.equal({ value: '11010519491231002X' });
    });
    it('reads 是 / 否 / √ / × and refuses anything else', () => {
      expect(parseCell('是', 'yesno', '危房户')).to.deep.equal({ value: true });
      expect(parseCell('√', 'yesno', '危房户')).to.deep.equal({ value: true });
      expect(parseCell('否', 'yesno', '危房户')).to.deep.equal({ value: false });
      expect(parseCell('×', 'yesno', '危房户')).to.deep.equal({ value: false });
      expect(parseCell('也许', 'yesno', '危房户')).to.have.nested.property('error.code', 'INVALID_VALUE');
    });
    it('reads vocabulary labels and aliases, and a grade by its prefix', () => {
      expect(parseCell('慢性病', 'vocab', '健康状况', health)).to.deep.equal({ value: 'chronic' });
      expect(parseCell('小学三年级', 'vocab', '在校生状况', schooling, true)).to.deep.equal({ value: 'primary' });
      expect(parseCell('小学三年级', 'vocab', '在校生状况', schooling, false)).to.have.nested.property('error.code', 'INVALID_VALUE');
    });
    it('reads amounts with thousands separators and 元', () => {
      expect(parseCell('12,000.5元', 'money', '人均纯收入')).to.deep.equal({ value: 12000.5 });
      expect(parseCell('很多', 'money', '人均纯收入')).to.have.nested.property('error.code', 'INVALID_NUMBER');
    });
    it('refuses a long code stored as a number', () => {
      expect(parseCell(Number('421199001001000123'), 'text', '户编号')).to.have.nested.property('error.code', 'NUMBER_NOT_TEXT');
      expect(parseCell(13812345678, 'text', '联系电话')).to.deep.equal({ value: '13812345678' });
    });
  });
});
