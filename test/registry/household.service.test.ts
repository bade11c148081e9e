import { expect } from 'chai';
import { AuditModel } from '../../src/audit/audit.model';
import { HouseholdModel } from '../../src/registry/household.model';
import {
  getHousehold, householdCursor, upsertHouseholdByCode, validateHousehold,
} from '../../src/registry/household.service';
import type { Actor } from '../../src/users/actor';
import { systemActor } from '../../src/users/actor';
import { buildHousehold, buildMember, TEST_VILLAGE } from '../helpers/builders';
import { resetDatabase } from '../helpers/db';
import { nextIdNumber } from '../helpers/id-numbers';

const county: Actor = { userId: 'u1', username: 'county-user', role: 'county', regionCodes: ['421122000000'] };
const village: Actor = { userId: 'u2', username: 'village-user', role: 'village', regionCodes: [TEST_VILLAGE] };
const auditor: Actor = { userId: 'u3', username: 'auditor-user', role: 'auditor', regionCodes: ['421122000000'] };

async function rejection(promise: Promise<unknown>): Promise<{ code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('household service', () => {
  beforeEach(async () => {
    await resetDatabase();
  });

  describe('validateHousehold', () => {
    it('accepts a built household and fills in derived and default values', () => {
      const { value, errors } = validateHousehold({ ...buildHousehold(), members: [{ name: '张三', idNumber: '11010519491231002x', relation: 'head' }] });
      expect(errors).to.deep.equal([]);
      expect(value?.members[0]).to.include({ idNumber: '11010519491231002X', birthDate: '1949-12-31', homeSchooling: false });
    });

    it('reports every problem with its path and code, not only the first', () => {
      const h = buildHousehold();
      const { value, errors } = validateHousehold({ ...h, status: 'rich', members: [{ ...h.members[0], idNumber: 110105194912310020 }] });
      expect(value).to.equal(undefined);
      expect(errors.map((e) => e.path)).to.include.members(['status', 'members.0.idNumber']);
      expect(errors.find((e) => e.path === 'members.0.idNumber')?.code).to.equal('idNumber.format');
      expect(errors.every((e) => typeof e.message === 'string' && e.message.length > 0)).to.equal(true);
    });

    it('refuses prototype keys and operators like the API does', () => {
      const withProto = JSON.parse(`{"__proto__":{"x":1},${JSON.stringify(buildHousehold()).slice(1)}`);
      expect(validateHousehold(withProto).errors[0]).to.include({ path: '__proto__', code: 'prototype' });
      expect(validateHousehold({ ...buildHousehold(), status: { $ne: null } }).errors[0].code).to.equal('operator');
    });
  });

  describe('upsertHouseholdByCode', () => {
    it('creates, then reports unchanged, then updates, keeping member ids matched by ID number', async () => {
      const household = buildHousehold();
      expect(await upsertHouseholdByCode(county, household)).to.deep.equal({ outcome: 'created' });
      const first = await getHousehold(county, household.code);
      expect(await upsertHouseholdByCode(county, household)).to.deep.equal({ outcome: 'unchanged' });
      expect((await getHousehold(county, household.code)).version).to.equal(1);

      const newcomer = buildMember({ name: '张小三', relation: 'son' });
      const changed = { ...household, dibao: true, members: [household.members[1], household.members[0], newcomer] };
      expect(await upsertHouseholdByCode(county, changed)).to.deep.equal({ outcome: 'updated' });
      const after = await getHousehold(county, household.code);
      expect(after.version).to.equal(2);
      expect(after.dibao).to.equal(true);
      const idOf = (h: typeof first, idNumber: string) => h.members.find((m) => m.idNumber === idNumber)?.id;
      for (const m of household.members) expect(idOf(after, m.idNumber)).to.equal(idOf(first, m.idNumber));
      expect(idOf(after, newcomer.idNumber)).to.be.a('string');
      expect(await AuditModel.countDocuments({ entityId: household.code })).to.equal(2); // create + update, not the unchanged one
    });

    it('writes nothing on a dry run but reports what would happen', async () => {
      const household = buildHousehold();
      expect(await upsertHouseholdByCode(county, household, { dryRun: true })).to.deep.equal({ outcome: 'created' });
      expect(await HouseholdModel.countDocuments()).to.equal(0);
      await upsertHouseholdByCode(county, household);
      expect(await upsertHouseholdByCode(county, { ...household, tekun: true }, { dryRun: true })).to.deep.equal({ outcome: 'updated' });
      expect((await getHousehold(county, household.code)).tekun).to.equal(false);
    });

    it('refuses a person already in another household and writes nothing of the household', async () => {
      const first = buildHousehold();
      await upsertHouseholdByCode(county, first);
      const second = buildHousehold({ members: [buildMember({ relation: 'head' }), buildMember({ relation: 'son', idNumber: `${first.members[1].idNumber}31` })] });
      expect((await rejection(upsertHouseholdByCode(county, second))).code).to.equal('PERSON_IN_OTHER_HOUSEHOLD');
      expect(await HouseholdModel.countDocuments({ code: second.code })).to.equal(0);
    });

    it('refuses invalid households, auditors and villages outside the actor', async () => {
      expect((await rejection(upsertHouseholdByCode(county, { ...buildHousehold(), members: [] }))).code).to.equal('VALIDATION_FAILED');
      expect((await rejection(upsertHouseholdByCode(auditor, buildHousehold()))).code).to.equal('FORBIDDEN');
      expect((await rejection(upsertHouseholdByCode(village, buildHousehold({ regionCode: '421122001002' })))).code).to.equal('REGION_OUT_OF_SCOPE');
      expect(await HouseholdModel.countDocuments()).to.equal(0);
    });
  });

  describe('householdCursor', () => {
    it('streams the actor\'s households sorted by code, filtered by region and status', async () => {
      const codes: string[] = [];
      for (const [regionCode, status] of [[TEST_VILLAGE, 'poor'], ['421122001002', 'exited'], [TEST_VILLAGE, 'exited'], ['421123001001', 'poor']] as const) {
        const h = buildHousehold({ regionCode, status });
        codes.push(h.code);
        await upsertHouseholdByCode(systemActor, h);
      }
      const collect = async (actor: Actor, filter = {}) => {
        const out: string[] = [];
        for await (const h of householdCursor(actor, filter)) out.push(h.code);
        return out;
      };
      expect(await collect(county)).to.deep.equal([codes[0], codes[2], codes[1]].sort());
      expect(await collect(village)).to.deep.equal([codes[0], codes[2]].sort());
      expect(await collect(county, { status: ['exited'] })).to.deep.equal([codes[1], codes[2]].sort());
      expect(await collect(county, { regionCode: '421122001002' })).to.deep.equal([codes[1]]);
      expect(await collect(village, { regionCode: '421122001002' })).to.deep.equal([]);
      expect(await collect(systemActor)).to.have.length(4);
    });

    it('yields plain households in the JSON contract, with full ID numbers', async () => {
      const h = buildHousehold();
      await upsertHouseholdByCode(county, h);
      for await (const item of householdCursor(county)) {
        expect(item).to.not.have.property('_id');
        expect(item.members[0].idNumber).to.equal(h.members[0].idNumber);
        expect(item.version).to.equal(1);
      }
    });
  });

  describe('the person index', () => {
    it('lets members stored without an ID number coexist in different households', async () => {
      const a = buildHousehold();
      const b = buildHousehold();
      await HouseholdModel.create({ ...a, members: [{ ...a.members[0], idNumber: null }] });
      await HouseholdModel.create({ ...b, members: [{ ...b.members[0], idNumber: null }, { ...b.members[1], idNumber: nextIdNumber() }] });
      expect(await HouseholdModel.countDocuments()).to.equal(2);
    });
  });
});
