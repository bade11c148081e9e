import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportLedger } from '../../../src/ledger/export/export.cli';
import { importFile } from '../../../src/ledger/import/import.cli';
import { HouseholdModel, toHouseholdJson, type StoredHouseholdDoc } from '../../../src/registry/household.model';
import { upsertHouseholdByCode } from '../../../src/registry/household.service';
import type { Household } from '../../../src/registry/household.types';
import { systemActor } from '../../../src/users/actor';
import { buildHousehold, buildMember } from '../../helpers/builders';
import { resetDatabase } from '../../helpers/db';
import { makeIdNumber } from '../../helpers/id-numbers';
import { COUNTY, LIJIA, WANGJIA, ZHANGJIA, loadFixture } from './fixture';

/**
 * The households as the registry holds them, without what a write assigns (ids, versions, times).
 * Members are compared by ID number: ledgers list the 户主 first (issue 6), so a household whose
 * 户主 was recorded second comes back with the 户主 first, the same people with the same data.
 */
async function snapshot(): Promise<Record<string, unknown>[]> {
  const docs = await HouseholdModel.find({}).sort({ code: 1 }).lean();
  return docs.map((d) => {
    const { version: _v, createdAt: _c, updatedAt: _u, createdBy: _cb, updatedBy: _ub, ...h } = toHouseholdJson(d as unknown as StoredHouseholdDoc);
    const members = h.members.map(({ id: _id, ...m }) => m).sort((a, b) => a.idNumber.localeCompare(b.idNumber));
    return { ...h, members };
  });
}

describe('full-template export → import round trip', () => {
  it('reproduces the same households, every field, after they are deleted and the file imported again', async function () {
    this.timeout(60_000);
    await resetDatabase();
    await loadFixture();
    // The fixture's H4 holds formula-looking text that validation would refuse; keep valid data only.
    await HouseholdModel.deleteMany({ regionCode: WANGJIA });
    const rich: Household = buildHousehold({
      regionCode: LIJIA, status: 'exited-supported', exitYear: 2020, standard: 'provincial', tekun: true, tekunCare: 'dispersed',
      causes: { main: 'disability', others: ['labor', 'transport'] }, perCapitaNetIncome: 6543.21, housingSafe: false, waterSafe: null,
      wantsIndustry: false, badCredit: true, microloanBalance: 20000, medicalOutOfPocket: 3500.5, suddenHardship: true,
      monitoring: { type: 'sudden', risks: ['illness', 'accident'], identifiedAt: '2023-03-01', riskEliminated: true, eliminatedAt: '2024-02-29' },
      helpers: [
        { name: '王伟', unit: '县农业农村局', level: 'county', since: '2021-01-01', until: '2022-12-31', phone: '13700001111' },
        { name: '刘洋', unit: '乡政府', level: 'township', since: '2023-01-01', until: null, phone: null },
      ],
      supports: [{ category: 'disability', since: '2022-01-01', until: null, amount: 1200 }, { category: 'microloan', since: '2021-05-01', until: '2023-05-01', amount: null }],
      visits: [{ date: '2024-05-10', visitor: '李明', level: 'village', notes: '送米油，了解病情, "复查"' }],
      phone: '0713-5123456',
      members: [
        buildMember({ name: '欧阳明', relation: 'head', gender: 'male', idNumber: makeIdNumber('1975-02-28', 311), birthDate: '1975-02-28', health: 'disabled', disability: { category: 'multiple', grade: 1 }, labor: 'lost', employment: 'none', education: 'illiterate', ethnicity: '土家族', insurance: { medical: true, seriousIllness: false, pension: null }, phone: '13812340000' }),
        buildMember({ name: '欧阳丽', relation: 'daughter', gender: 'female', idNumber: `${makeIdNumber('2006-07-15', 312)}`, birthDate: '2006-07-15', schooling: 'secondary-vocational', education: 'junior', labor: 'ordinary', employment: 'in-province', monthsWorked: 3, homeSchooling: true }),
      ],
    });
    await upsertHouseholdByCode(systemActor, rich);
    const before = await snapshot();
    expect(before).to.have.length(4);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-round-trip-'));
    try {
      const file = path.join(dir, 'full.xlsx');
      const exported = await exportLedger({ regionCode: COUNTY, layout: 'full-template', out: file });
      expect(exported.rows).to.equal(9);
      await HouseholdModel.deleteMany({});
      expect(await HouseholdModel.countDocuments()).to.equal(0);

      const job = await importFile({ file, layout: 'full-template' });
      expect(job.errors, JSON.stringify(job.errors)).to.deep.equal([]);
      const after = await snapshot();
      expect(after).to.deep.equal(before);

      // The same file again changes nothing.
      await importFile({ file, layout: 'full-template' });
      expect(await snapshot()).to.deep.equal(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // The villages exported were resolved back from their names.
    expect(new Set(before.map((h) => h.regionCode))).to.deep.equal(new Set([ZHANGJIA, LIJIA]));
  });
});
