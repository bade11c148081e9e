/**
 * Access to the registry by role and region (issue 4, SECURITY.md "Access"): for every route of
 * /households, each role is allowed, refused (403) or finds nothing (404 outside its region);
 * ID numbers and phones are masked where the role may not see them; every write and every
 * reveal leaves an audit entry.
 *
 * The map: county A (421122) has villages A1 (421122001001) and A2 (421122002001); county B
 * (421123) has village B1. One household lives in each village.
 */
import { expect } from 'chai';
import type mongoose from 'mongoose';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/app';
import { AuditModel } from '../../src/audit/audit.model';
import { HouseholdModel } from '../../src/registry/household.model';
import { createHousehold } from '../../src/registry/household.service';
import type { StoredHousehold } from '../../src/registry/household.types';
import { systemActor } from '../../src/users/actor';
import { resetLoginLimits, tokenFor } from '../helpers/auth';
import { buildHousehold, buildMember } from '../helpers/builders';
import { resetDatabase } from '../helpers/db';

const COUNTY_A = '421122000000';
const A1 = '421122001001';
const A2 = '421122002001';
const COUNTY_B = '421123000000';
const B1 = '421123001001';

// The filters below are plain test values; the model's generic filter types add nothing here.
const Households = HouseholdModel as unknown as mongoose.Model<any>;

const MASKED_ID = /^\d{6}\*{8}\d{3}[\dX]$/;
const FULL_ID = /^\d{17}[\dX]$/;
const MASKED_PHONE = /^\d{3}\*+\d{4}$/;

type Who = 'admin' | 'countyA' | 'villageA1' | 'auditorA' | 'countyB';

describe('access to /households by role and region', () => {
  let app: Express;
  const tokens = {} as Record<Who, string>;
  let hA1: StoredHousehold;
  let hA2: StoredHousehold;
  let hB1: StoredHousehold;

  before(async () => {
    app = createApp();
    await resetDatabase();
    await resetLoginLimits();
    tokens.admin = await tokenFor('admin', ['000000000000']);
    tokens.countyA = await tokenFor('county', [COUNTY_A]);
    tokens.villageA1 = await tokenFor('village', [A1]);
    tokens.auditorA = await tokenFor('auditor', [COUNTY_A]);
    tokens.countyB = await tokenFor('county', [COUNTY_B]);
  });

  beforeEach(async () => {
    await HouseholdModel.deleteMany({});
    await AuditModel.deleteMany({});
    const withPhones = (regionCode: string) => buildHousehold({
      regionCode,
      phone: '13812345678',
      members: [buildMember({ relation: 'head', phone: '13900001111' }), buildMember({ name: '李四', relation: 'spouse', gender: 'female' })],
    });
    hA1 = await createHousehold(systemActor, withPhones(A1));
    hA2 = await createHousehold(systemActor, withPhones(A2));
    hB1 = await createHousehold(systemActor, withPhones(B1));
    await AuditModel.deleteMany({});
  });

  const as = (who: Who) => ({
    get: (path: string) => request(app).get(`/api/v1${path}`).set('Authorization', `Bearer ${tokens[who]}`),
    post: (path: string, body: object) => request(app).post(`/api/v1${path}`).set('Authorization', `Bearer ${tokens[who]}`).send(body),
    patch: (path: string, body: object) => request(app).patch(`/api/v1${path}`).set('Authorization', `Bearer ${tokens[who]}`).send(body),
    delete: (path: string) => request(app).delete(`/api/v1${path}`).set('Authorization', `Bearer ${tokens[who]}`),
  });
  const codes = (body: { items: { code: string }[] }) => body.items.map((h) => h.code).sort();
  const auditCount = (filter: Record<string, unknown>) => AuditModel.countDocuments(filter);

  describe('GET /households', () => {
    const expected: Array<[Who, () => string[]]> = [
      ['admin', () => [hA1.code, hA2.code, hB1.code]],
      ['countyA', () => [hA1.code, hA2.code]],
      ['villageA1', () => [hA1.code]],
      ['auditorA', () => [hA1.code, hA2.code]],
      ['countyB', () => [hB1.code]],
    ];
    for (const [who, visible] of expected) {
      it(`lists for ${who} only the households of its region, with a matching total`, async () => {
        const res = await as(who).get('/households').expect(200);
        expect(codes(res.body)).to.deep.equal(visible().sort());
        expect(res.body.total).to.equal(visible().length);
      });
    }

    it('finds nothing outside the region, even by a full ID number or a region filter', async () => {
      const idOfB = hB1.members[0].idNumber;
      expect((await as('villageA1').get(`/households?q=${idOfB}`).expect(200)).body.total).to.equal(0);
      expect((await as('countyA').get(`/households?regionCode=${COUNTY_B}`).expect(200)).body.total).to.equal(0);
      expect((await as('countyB').get(`/households?q=${idOfB}`).expect(200)).body.total).to.equal(1);
    });

    for (const who of ['countyA', 'villageA1', 'auditorA'] as const) {
      it(`masks ID numbers and phones in the list for ${who}`, async () => {
        const res = await as(who).get('/households').expect(200);
        const household = res.body.items.find((h: StoredHousehold) => h.code === hA1.code);
        expect(household.phone).to.match(MASKED_PHONE);
        for (const m of household.members) expect(m.idNumber).to.match(MASKED_ID);
        expect(household.members[0].phone).to.match(MASKED_PHONE);
        expect(JSON.stringify(res.body)).not.to.include(hA1.members[0].idNumber);
      });
    }

    it('shows an admin full numbers in the list', async () => {
      const res = await as('admin').get('/households').expect(200);
      const household = res.body.items.find((h: StoredHousehold) => h.code === hA1.code);
      expect(household.members[0].idNumber).to.equal(hA1.members[0].idNumber);
    });
  });

  describe('GET /households/:code', () => {
    const cases: Array<[Who, () => StoredHousehold, number]> = [
      ['admin', () => hB1, 200],
      ['countyA', () => hA2, 200],
      ['countyA', () => hB1, 404],
      ['villageA1', () => hA1, 200],
      ['villageA1', () => hA2, 404],
      ['auditorA', () => hA2, 200],
      ['auditorA', () => hB1, 404],
      ['countyB', () => hA1, 404],
    ];
    for (const [who, household, status] of cases) {
      it(`answers ${status} to ${who} for a household ${status === 404 ? 'outside' : 'inside'} its region`, async () => {
        const res = await as(who).get(`/households/${household().code}`);
        expect(res.status).to.equal(status);
        if (status === 404) {
          expect(res.body.error.code).to.equal('HOUSEHOLD_NOT_FOUND');
          // The same answer as for a code that does not exist at all.
          const none = await as(who).get('/households/999999999999999999').expect(404);
          expect(none.body).to.deep.equal(res.body);
        }
      });
    }

    it('shows full numbers on one household to the county and village that keep it, masked to an auditor', async () => {
      for (const who of ['countyA', 'villageA1'] as const) {
        const res = await as(who).get(`/households/${hA1.code}`).expect(200);
        expect(res.body.members[0].idNumber, who).to.match(FULL_ID);
      }
      const audited = await as('auditorA').get(`/households/${hA1.code}`).expect(200);
      for (const m of audited.body.members) expect(m.idNumber).to.match(MASKED_ID);
      expect(audited.body.phone).to.match(MASKED_PHONE);
    });
  });

  describe('POST /households', () => {
    const cases: Array<[Who, string, number]> = [
      ['admin', B1, 201],
      ['countyA', A2, 201],
      ['villageA1', A1, 201],
      ['villageA1', A2, 403],
      ['countyB', A1, 403],
      ['auditorA', A1, 403],
    ];
    for (const [who, village, status] of cases) {
      it(`answers ${status} to ${who} creating a household in ${village}`, async () => {
        const body = buildHousehold({ regionCode: village });
        const res = await as(who).post('/households', body);
        expect(res.status).to.equal(status);
        expect(await HouseholdModel.countDocuments({ code: body.code })).to.equal(status === 201 ? 1 : 0);
        expect(await auditCount({ action: 'household.create', entityId: body.code })).to.equal(status === 201 ? 1 : 0);
      });
    }

    it('records the new household in the audit trail with who, where and the values', async () => {
      const body = buildHousehold({ regionCode: A1 });
      await as('villageA1').post('/households', body).expect(201);
      const entry = await AuditModel.findOne({ action: 'household.create', entityId: body.code }).lean();
      expect(entry).to.include({ role: 'village', entity: 'household', regionCode: A1 });
      expect((entry?.after as { members: unknown[] }).members).to.have.length(2);
    });
  });

  describe('PATCH /households/:code', () => {
    const cases: Array<[Who, () => StoredHousehold, number]> = [
      ['admin', () => hB1, 200],
      ['countyA', () => hA2, 200],
      ['countyA', () => hB1, 404],
      ['villageA1', () => hA1, 200],
      ['villageA1', () => hA2, 404],
      ['auditorA', () => hA1, 403],
      ['auditorA', () => hB1, 404],
    ];
    for (const [who, household, status] of cases) {
      it(`answers ${status} to ${who} changing a household ${status === 404 ? 'outside' : 'inside'} its region`, async () => {
        const h = household();
        const res = await as(who).patch(`/households/${h.code}`, { version: h.version, dibao: true });
        expect(res.status).to.equal(status);
        const stored = await Households.findOne({ code: h.code }).lean();
        expect((stored as { dibao: boolean }).dibao).to.equal(status === 200);
        expect(await auditCount({ action: 'household.update', entityId: h.code })).to.equal(status === 200 ? 1 : 0);
      });
    }

    it('keeps the old and new values of a change in the audit trail', async () => {
      await as('villageA1').patch(`/households/${hA1.code}`, { version: hA1.version, group: '五组' }).expect(200);
      const entry = await AuditModel.findOne({ action: 'household.update', entityId: hA1.code }).lean();
      expect((entry?.before as { group: string }).group).to.equal('三组');
      expect((entry?.after as { group: string }).group).to.equal('五组');
    });

    it('lets a county move a household between its villages but not a village cadre, nor out of the county', async () => {
      const refused = await as('villageA1').patch(`/households/${hA1.code}`, { version: hA1.version, regionCode: A2 }).expect(400);
      expect(refused.body.error.code).to.equal('FIELD_NOT_WRITABLE');
      await as('countyA').patch(`/households/${hA1.code}`, { version: hA1.version, regionCode: B1 }).expect(403);
      await as('countyA').patch(`/households/${hA1.code}`, { version: hA1.version, regionCode: A2 }).expect(200);
      // Moved out of A1: the village cadre no longer sees it.
      await as('villageA1').get(`/households/${hA1.code}`).expect(404);
    });

    it('refuses bookkeeping fields (mass assignment)', async () => {
      for (const field of [{ createdBy: 'x' }, { updatedBy: 'x' }, { code: 'X1' }, { members: [] }]) {
        const res = await as('villageA1').patch(`/households/${hA1.code}`, { version: hA1.version, ...field });
        expect(res.status, JSON.stringify(field)).to.equal(400);
      }
      expect(await auditCount({ action: 'household.update' })).to.equal(0);
    });
  });

  describe('DELETE /households/:code', () => {
    const cases: Array<[Who, () => StoredHousehold, number]> = [
      ['auditorA', () => hA1, 403],
      ['villageA1', () => hA2, 404],
      ['countyB', () => hA1, 404],
      ['villageA1', () => hA1, 204],
      ['countyA', () => hA2, 204],
    ];
    for (const [who, household, status] of cases) {
      it(`answers ${status} to ${who} deleting a household ${status === 404 ? 'outside' : 'inside'} its region`, async () => {
        const h = household();
        const res = await as(who).delete(`/households/${h.code}`);
        expect(res.status).to.equal(status);
        expect(await HouseholdModel.countDocuments({ code: h.code })).to.equal(status === 204 ? 0 : 1);
        const entry = await AuditModel.findOne({ action: 'household.delete', entityId: h.code }).lean();
        if (status === 204) expect((entry?.before as { code: string }).code).to.equal(h.code);
        else expect(entry).to.equal(null);
      });
    }
  });

  describe('members', () => {
    it('lets the village add, change and remove a member, each in the audit trail', async () => {
      const added = await as('villageA1').post(`/households/${hA1.code}/members`, buildMember({ name: '张小', relation: 'son' })).expect(201);
      const memberId = added.body.member.id as string;
      await as('villageA1').patch(`/households/${hA1.code}/members/${memberId}`, { name: '张小明' }).expect(200);
      await as('villageA1').delete(`/households/${hA1.code}/members/${memberId}`).expect(200);
      const actions = (await AuditModel.find({ entityId: hA1.code }).sort({ at: 1, _id: 1 }).lean()).map((e) => [e.action, e.entity, e.regionCode]);
      expect(actions).to.deep.equal([
        ['member.add', 'household', A1],
        ['member.update', 'household', A1],
        ['member.remove', 'household', A1],
      ]);
    });

    it('refuses an auditor (403) and hides other regions\' households (404)', async () => {
      await as('auditorA').post(`/households/${hA1.code}/members`, buildMember({ relation: 'son' })).expect(403);
      await as('villageA1').post(`/households/${hA2.code}/members`, buildMember({ relation: 'son' })).expect(404);
      const spouse = hA1.members[1].id;
      await as('auditorA').patch(`/households/${hA1.code}/members/${spouse}`, { name: '改名' }).expect(403);
      await as('countyB').patch(`/households/${hA1.code}/members/${spouse}`, { name: '改名' }).expect(404);
      await as('auditorA').delete(`/households/${hA1.code}/members/${spouse}`).expect(403);
      await as('countyB').delete(`/households/${hA1.code}/members/${spouse}`).expect(404);
      const stored = await Households.findOne({ code: hA1.code }).lean();
      expect((stored as { members: unknown[] }).members).to.have.length(2);
      expect(await AuditModel.countDocuments({})).to.equal(0);
    });
  });

  describe('POST /households/:code/members/:memberId/reveal', () => {
    for (const who of ['villageA1', 'auditorA', 'countyA'] as const) {
      it(`gives ${who} one full number and logs who, which member and why`, async () => {
        const member = hA1.members[0];
        const res = await as(who).post(`/households/${hA1.code}/members/${member.id}/reveal`, { reason: '核对低保申请材料' }).expect(200);
        expect(res.body.idNumber).to.equal(member.idNumber);
        const entries = await AuditModel.find({ action: 'reveal' }).lean();
        expect(entries).to.have.length(1);
        expect(entries[0]).to.include({ entity: 'household', entityId: hA1.code, regionCode: A1 });
        expect(entries[0].details).to.deep.include({ memberId: member.id, reason: '核对低保申请材料' });
        // The trail says a number was revealed, not the number.
        expect(JSON.stringify(entries[0])).not.to.include(member.idNumber);
      });
    }

    it('needs a reason and answers 404 outside the region, logging nothing', async () => {
      const member = hA1.members[0];
      await as('villageA1').post(`/households/${hA1.code}/members/${member.id}/reveal`, {}).expect(400);
      await as('countyB').post(`/households/${hA1.code}/members/${member.id}/reveal`, { reason: '核对信息一下' }).expect(404);
      await as('villageA1').post(`/households/${hA2.code}/members/${hA2.members[0].id}/reveal`, { reason: '核对信息一下' }).expect(404);
      expect(await AuditModel.countDocuments({ action: 'reveal' })).to.equal(0);
    });
  });

  describe('GET /households/:code/changes', () => {
    it('shows the change log inside the region, masked for an auditor, and 404 outside', async () => {
      await as('villageA1').patch(`/households/${hA1.code}`, { version: hA1.version, phone: '13700002222' }).expect(200);
      const own = await as('villageA1').get(`/households/${hA1.code}/changes`).expect(200);
      expect(own.body.items[0].after.phone).to.equal('13700002222');
      const audited = await as('auditorA').get(`/households/${hA1.code}/changes`).expect(200);
      expect(audited.body.items[0].after.phone).to.match(MASKED_PHONE);
      expect(audited.body.items[0].after.members[0].idNumber).to.match(MASKED_ID);
      await as('countyB').get(`/households/${hA1.code}/changes`).expect(404);
    });
  });

  describe('GET /audit over household writes', () => {
    it('masks ID numbers and phones in old and new values for an auditor, not for an admin', async () => {
      await as('villageA1').patch(`/households/${hA1.code}`, { version: hA1.version, group: '五组' }).expect(200);
      const audited = await as('auditorA').get(`/audit?entityId=${hA1.code}`).expect(200);
      const entry = audited.body.items[0];
      expect(entry.after.members[0].idNumber).to.match(MASKED_ID);
      expect(entry.before.phone).to.match(MASKED_PHONE);
      expect(JSON.stringify(audited.body)).not.to.include(hA1.members[0].idNumber);
      const admin = await as('admin').get(`/audit?entityId=${hA1.code}`).expect(200);
      expect(admin.body.items[0].after.members[0].idNumber).to.equal(hA1.members[0].idNumber);
      // The county sees the entry nowhere: it has no audit:read.
      await as('countyA').get(`/audit?entityId=${hA1.code}`).expect(403);
    });
  });
});
