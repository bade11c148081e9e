import { expect } from 'chai';
import { AuditModel } from '../../../src/audit/audit.model';
import { insertNewHouseholds } from '../../../src/ledger/import/bulk-writer';
import { HouseholdModel } from '../../../src/registry/household.model';
import { createHousehold, getHousehold, validateHousehold } from '../../../src/registry/household.service';
import type { Household } from '../../../src/registry/household.types';
import { systemActor } from '../../../src/users/actor';
import { resetDatabase } from '../../helpers/db';
import { householdsOf, loadCountyRegions, testCounty } from './ledger-fixtures';

type Raw = Record<string, unknown> & { members: Record<string, unknown>[] };

/** A stored document without what differs between two writes of the same household by design. */
function comparable(raw: Raw): Record<string, unknown> {
  const { _id, createdAt, updatedAt, ...rest } = raw;
  expect(createdAt).to.be.instanceOf(Date);
  expect(updatedAt).to.be.instanceOf(Date);
  return {
    ...rest,
    members: raw.members.map(({ _id: memberId, personId, ...m }) => {
      expect(personId).to.equal(typeof m.idNumber === 'string' && m.idNumber.length >= 18 ? m.idNumber.slice(0, 18).toUpperCase() : `none:${String(memberId)}`);
      return m;
    }),
  };
}

function withoutIds(json: Record<string, unknown> & { members: { id: string }[] }): Record<string, unknown> {
  const { createdAt: _createdAt, updatedAt: _updatedAt, ...rest } = json;
  return { ...rest, members: json.members.map(({ id: _id, ...m }) => m) };
}

async function storedAndTrail(code: string): Promise<{ raw: Raw; json: Record<string, unknown> & { members: { id: string }[] }; after: Record<string, unknown> & { members: { id: string }[] } }> {
  const raw = (await HouseholdModel.findOne({ code }).lean()) as unknown as Raw;
  const json = (await getHousehold(systemActor, code)) as unknown as Record<string, unknown> & { members: { id: string }[] };
  const entry = (await AuditModel.findOne({ action: 'household.create', entityId: code }).lean()) as { after: Record<string, unknown> & { members: { id: string }[] } };
  return { raw, json, after: entry.after };
}

describe('Bulk import writer', () => {
  const county = testCounty(4);
  let household: Household;
  before(async () => {
    const { value } = validateHousehold(householdsOf(county, 1)[0]);
    household = value as Household;
  });
  beforeEach(async () => {
    await resetDatabase();
    await loadCountyRegions(county);
  });

  it('stores a household and its audit entry exactly as the API create does', async () => {
    const bulk = await insertNewHouseholds(systemActor, [household], { dryRun: false, importId: 'job' });
    expect([...bulk.inserted]).to.deep.equal([0]);
    const imported = await storedAndTrail(household.code);
    await resetDatabase();
    await loadCountyRegions(county);
    await createHousehold(systemActor, household);
    const created = await storedAndTrail(household.code);

    expect(comparable(imported.raw)).to.deep.equal(comparable(created.raw));
    expect(withoutIds(imported.json)).to.deep.equal(withoutIds(created.json));
    expect(imported.json.version).to.equal(1);
    expect(imported.json.createdBy).to.equal(systemActor.username);
    // The trail holds the new household whole, with the ids the registry gave its members.
    expect(imported.after).to.deep.equal(imported.json);
    expect(withoutIds(imported.after)).to.deep.equal(withoutIds(created.after));
  });

  it('writes nothing on a dry run', async () => {
    const bulk = await insertNewHouseholds(systemActor, [household], { dryRun: true, importId: 'job' });
    expect([...bulk.inserted]).to.deep.equal([0]);
    expect(await HouseholdModel.countDocuments({})).to.equal(0);
    expect(await AuditModel.countDocuments({ action: 'household.create' })).to.equal(0);
  });
});
