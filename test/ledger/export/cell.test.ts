import { expect } from 'chai';
import { csvField, excelDate, isoDay, safeCellValue } from '../../../src/ledger/cell';

describe('safeCellValue (SECURITY.md "Excel out")', () => {
  // CASE 1-6: each formula trigger gets a leading quote; CASE 7: NUL too; CASE 8: plain text is untouched.
  for (const text of ['=HYPERLINK("http://x","y")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1', '\0=1']) {
    it(`prefixes ${JSON.stringify(text.slice(0, 2))} with a quote`, () => {
      expect(safeCellValue(text)).to.equal(`'${text}`);
    });
  }

  it('leaves ordinary text, numbers and dates alone', () => {
    expect(safeCellValue('张三')).to.equal('张三');
    expect(safeCellValue(' =not first')).to.equal(' =not first');
    expect(safeCellValue(-5)).to.equal(-5);
    const d = new Date('2024-06-30T00:00:00Z');
    expect(safeCellValue(d)).to.equal(d);
    expect(safeCellValue(null)).to.equal(null);
    expect(safeCellValue(undefined)).to.equal(null);
  });

  it('flattens formula, hyperlink and rich-text objects to plain neutralised text', () => {
    expect(safeCellValue({ formula: 'A1*2', result: 4 })).to.equal(4);
    expect(safeCellValue({ formula: 'A1', result: '=evil()' })).to.equal("'=evil()");
    expect(safeCellValue({ text: '=x', hyperlink: 'http://example.invalid' })).to.equal("'=x");
    expect(safeCellValue({ richText: [{ text: '+' }, { text: '1' }] })).to.equal("'+1");
  });

  it('refuses anything else rather than writing it', () => {
    expect(() => safeCellValue({ foo: 1 })).to.throw(TypeError);
    expect(() => safeCellValue(() => 1)).to.throw(TypeError);
  });

  it('turns NaN and invalid dates into empty cells', () => {
    expect(safeCellValue(Number.NaN)).to.equal(null);
    expect(safeCellValue(new Date('nope'))).to.equal(null);
  });
});

describe('csvField (RFC 4180)', () => {
  it('quotes commas, quotes and line breaks and doubles inner quotes', () => {
    expect(csvField('a,b')).to.equal('"a,b"');
    expect(csvField('say "hi"')).to.equal('"say ""hi"""');
    expect(csvField('two\nlines')).to.equal('"two\nlines"');
    expect(csvField('plain')).to.equal('plain');
  });

  it('neutralises before quoting', () => {
    expect(csvField('=1+1')).to.equal("'=1+1");
    expect(csvField('\r=1')).to.equal('"\'\r=1"');
  });

  it('writes dates as ISO days and nothing as an empty field', () => {
    expect(csvField(excelDate('2019-03-01'))).to.equal('2019-03-01');
    expect(csvField(null)).to.equal('');
  });
});

describe('excelDate', () => {
  it('is UTC midnight of the day, so the day does not shift', () => {
    const d = excelDate('2019-03-01');
    expect(d?.toISOString()).to.equal('2019-03-01T00:00:00.000Z');
    expect(isoDay(d as Date)).to.equal('2019-03-01');
    expect(excelDate('2019-3-1')).to.equal(null);
  });
});
