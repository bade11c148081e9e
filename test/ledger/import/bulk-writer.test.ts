import { expect } from 'chai';
import { AuditModel } from '../../../src/audit/audit.model';
import { insertNewHouseholds } from '../../../src/ledger/import/bulk-writer';
import { HouseholdModel } from '../../../src/registry/household.model';
import { createHousehold, getHousehold, householdChanges, validateHousehold } from '../../../src/registry/household.service';
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

async function storedAs(code: string): Promise<{ raw: Raw; json: Record<string, unknown> & { members: { id: string }[] } }> {
  const raw = (await HouseholdModel.findOne({ code }).lean()) as unknown as Raw;
  const json = (await getHousehold(systemActor, code)) as unknown as Record<string, unknown> & { members: { id: string }[] };
  return { raw, json };
}

const source = { sheet: '贫困人口明细', rows: [4, 6] as [number, number] };

describe('Bulk import writer', () => {
  const county = testCounty(6);
  let households: Household[];
  before(async () => {
    households = householdsOf(county, 4).map((h) => validateHousehold(h).value as Household);
  });
  beforeEach(async () => {
    await resetDatabase();
    await loadCountyRegions(county);
  });

  it('stores a household exactly as the API create does', async () => {
    const [household] = households;
    const bulk = await insertNewHouseholds(systemActor, [{ household, source }], { dryRun: false, importId: 'job' });
    expect([...bulk.inserted]).to.deep.equal([0]);
    const imported = await storedAs(household.code);
    await resetDatabase();
    await loadCountyRegions(county);
    await createHousehold(systemActor, household);
    const created = await storedAs(household.code);

    expect(comparable(imported.raw)).to.deep.equal(comparable(created.raw));
    expect(withoutIds(imported.json)).to.deep.equal(withoutIds(created.json));
    expect(imported.json.version).to.equal(1);
    expect(imported.json.createdBy).to.equal(systemActor.username);
  });

  it('traces each new household in its change log by job and rows, without a second copy of it', async () => {
    const [household] = households;
    await insertNewHouseholds(systemActor, [{ household, source }], { dryRun: false, importId: 'job-1' });
    const entries = await AuditModel.find({ entityId: household.code }).lean();
    expect(entries).to.have.length(1);
    const entry = entries[0] as Record<string, unknown>;
    expect(entry).to.include({ action: 'household.create', entity: 'household', regionCode: household.regionCode, username: systemActor.username, before: null, after: null });
    expect(entry.details).to.deep.equal({ via: 'import', importId: 'job-1', version: 1, members: household.members.length, source });
    const { items } = await householdChanges(systemActor, household.code);
    expect(items.map((i) => [i.action, i.details])).to.deep.equal([['household.create', entry.details]]);
  });

  it('writes nothing on a dry run', async () => {
    const bulk = await insertNewHouseholds(systemActor, [{ household: households[0] }], { dryRun: true, importId: 'job' });
    expect([...bulk.inserted]).to.deep.equal([0]);
    expect(await HouseholdModel.countDocuments({})).to.equal(0);
    expect(await AuditModel.countDocuments({ action: 'household.create' })).to.equal(0);
  });

  /*
   * CASE 1: the second household lists a person already registered in a stored household: the
   *         batch's person check refuses it before the insert.
   * CASE 2: the fourth household shares a person with the third, both new: the check passes both
   *         (neither is stored), the unique index on members.personId refuses the fourth during
   *         the insert, and it comes back for a retry on its own.
   * Either way the refused household is not in the database at all, not even some of its
   * members, and the others of the batch are stored whole, each with its trail entry.
   */
  it('refuses the failing households of a batch whole and stores the others whole', async () => {
    const [first, second, third, fourth] = households;
    const holder: Household = { ...validateHousehold({ ...second, code: `${second.code}9` }).value as Household, members: [{ ...second.members[0], relation: 'head' }] };
    await createHousehold(systemActor, holder);
    const clone: Household = { ...fourth, members: [...fourth.members, { ...third.members[third.members.length - 1], relation: 'other' }] };

    const bulk = await insertNewHouseholds(systemActor, [first, second, third, clone].map((household) => ({ household })), { dryRun: false, importId: 'job' });
    expect([...bulk.inserted].sort()).to.deep.equal([0, 2]);
    expect(bulk.refused.get(1)).to.equal('PERSON_IN_OTHER_HOUSEHOLD');
    expect(bulk.refused.get(3)).to.equal('RETRY');

    for (const h of [first, third]) {
      const { json } = await storedAs(h.code);
      expect(json.members.map((m) => (m as unknown as { idNumber: string }).idNumber)).to.deep.equal(h.members.map((m) => m.idNumber));
      expect(await AuditModel.countDocuments({ action: 'household.create', entityId: h.code })).to.equal(1);
    }
    for (const h of [second, clone]) {
      expect(await HouseholdModel.countDocuments({ code: h.code })).to.equal(0);
      expect(await AuditModel.countDocuments({ entityId: h.code })).to.equal(0);
    }
    // Nothing of the refused households went anywhere: each person is in exactly one household.
    for (const m of [...second.members, ...fourth.members]) {
      expect(await HouseholdModel.countDocuments({ 'members.personId': m.idNumber.slice(0, 18) })).to.be.at.most(1);
    }
    expect(await HouseholdModel.countDocuments({})).to.equal(3);
  });
});
