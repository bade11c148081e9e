import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { inspectXlsx, parseDimension, ZipRefused, type ZipLimits } from '../../../src/ledger/import/zip-guard';
import { hugeDimensionSheet, makeXlsx, makeZip } from './zip-maker';

const limits: ZipLimits = { maxUncompressedBytes: 512 * 1024 * 1024, maxRatio: 200, maxRows: 500_000, maxColumns: 200, maxEntries: 2000 };

async function refusal(buffer: Buffer, l: ZipLimits = limits): Promise<ZipRefused> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zip-guard-')), 'f.xlsx');
  fs.writeFileSync(file, buffer);
  try {
    await inspectXlsx(file, l);
  } catch (err) {
    return err as ZipRefused;
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
  throw new Error('expected a refusal');
}

describe('zip guard (SECURITY.md "Excel in")', () => {
  it('reads a worksheet dimension', () => {
    expect(parseDimension('<worksheet><dimension ref="A1:AB350118"/>')).to.deep.equal({ rows: 350118, columns: 28 });
    expect(parseDimension('<dimension ref="A1"/>')).to.deep.equal({ rows: 1, columns: 1 });
    expect(parseDimension('<sheetData/>')).to.equal(null);
  });

  it('refuses a sheet that claims XFD1048576 before reading it, in milliseconds', async () => {
    const started = Date.now();
    const err = await refusal(makeXlsx(hugeDimensionSheet()));
    expect(err).to.be.instanceOf(ZipRefused);
    expect(err.code).to.equal('IMPORT_TOO_MANY_ROWS');
    expect(Date.now() - started).to.be.lessThan(2000);
  });

  it('refuses a sheet wider than the column cap', async () => {
    const sheet = '<worksheet><dimension ref="A1:IV10"/><sheetData/></worksheet>';
    expect((await refusal(makeXlsx(sheet))).code).to.equal('IMPORT_TOO_MANY_COLUMNS');
  });

  it('refuses a zip bomb by the sizes its directory declares', async () => {
    // 64 MB of zeros deflate to about 64 KB: a ratio near 1000.
    const started = Date.now();
    const err = await refusal(makeXlsx('', 64 * 1024 * 1024));
    expect(err.code).to.equal('IMPORT_ZIP_BOMB');
    expect(Date.now() - started).to.be.lessThan(5000);
  });

  it('refuses a workbook that inflates past the total cap', async () => {
    const err = await refusal(makeXlsx('<worksheet><sheetData/></worksheet>'), { ...limits, maxUncompressedBytes: 100 });
    expect(err.code).to.equal('IMPORT_ZIP_BOMB');
  });

  it('refuses a file that is not a zip, and a zip that is not a workbook', async () => {
    expect((await refusal(Buffer.from('序号,县,乡(镇)\n1,青山县,城关镇\n'))).code).to.equal('IMPORT_NOT_XLSX');
    expect((await refusal(makeZip([{ name: 'readme.txt', data: 'hello' }]))).code).to.equal('IMPORT_NOT_XLSX');
  });
});
