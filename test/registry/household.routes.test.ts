import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../src/app';
import { AuditModel } from '../../src/audit/audit.model';
import { HouseholdModel } from '../../src/registry/household.model';
import { maskIdNumber } from '../../src/registry/id-number';
import { tokenFor } from '../helpers/auth';
import { buildHousehold, buildMember, TEST_VILLAGE } from '../helpers/builders';
import { resetDatabase } from '../helpers/db';
import { nextIdNumber } from '../helpers/id-numbers';

const COUNTY = '421122000000';
const OTHER_VILLAGE = '421122001002';
const OTHER_COUNTY_VILLAGE = '421123001001';

const app = createApp();
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function stored(code: string) {
  return HouseholdModel.findOne({ code }).lean();
}

describe('household routes', () => {
  let county: string;
  let village: string;
  let auditor: string;
  let admin: string;

  // Users are made once (a slow password hash each); households and the log are emptied per test.
  before(async () => {
    await resetDatabase();
    [county, village, auditor, admin] = await Promise.all([
      tokenFor('county', [COUNTY]),
      tokenFor('village', [TEST_VILLAGE]),
      tokenFor('auditor', [COUNTY]),
      tokenFor('admin', ['000000000000']),
    ]);
  });

  beforeEach(async () => {
    await Promise.all([HouseholdModel.deleteMany({}), AuditModel.deleteMany({})]);
  });

  async function create(token = county, overrides = {}) {
    const household = buildHousehold(overrides);
    const res = await request(app).post('/api/v1/households').set(bearer(token)).send(household);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return { household, body: res.body };
  }

  describe('POST /households', () => {
    it('creates the household with version 1, member ids and the derived birth dates', async () => {
      const household = buildHousehold({ members: [buildMember({ relation: 'head', idNumber: '11010519491231002x' })] });
      const res = await request(app).post('/api/v1/households').set(bearer(county)).send(household);
      expect(res.status).to.equal(201);
      expect(res.body.version).to.equal(1);
      expect(res.body.members[0]).to.include({ idNumber: '11010519491231002X', birthDate: '1949-12-31' });
      expect(res.body.members[0].id).to.match(/^[0-9a-f]{24}$/);
      expect(res.body).to.not.have.property('_id');
      expect(res.body.members[0]).to.not.have.property('personId');
      const doc = await stored(household.code);
      expect(doc?.members[0].idNumber).to.equal('11010519491231002X');
      expect(doc?.members[0].personId).to.equal('11010519491231002X');
      expect(doc?.createdBy).to.be.a('string');
    });

    it('answers exactly the JSON contract of DESIGN.md', async () => {
      const { body } = await create();
      expect(Object.keys(body)).to.have.members([
        'code', 'regionCode', 'group', 'status', 'exitYear', 'identifiedAt', 'standard', 'dibao', 'tekun', 'tekunCare',
        'causes', 'income', 'perCapitaNetIncome', 'housingSafe', 'waterSafe', 'wantsIndustry', 'badCredit',
        'microloanBalance', 'medicalOutOfPocket', 'suddenHardship', 'monitoring', 'helpers', 'supports', 'visits',
        'phone', 'members', 'version', 'createdAt', 'updatedAt', 'createdBy', 'updatedBy',
      ]);
      expect(Object.keys(body.members[0])).to.have.members([
        'id', 'name', 'gender', 'idNumber', 'birthDate', 'relation', 'ethnicity', 'education', 'schooling', 'health',
        'disability', 'labor', 'employment', 'monthsWorked', 'homeSchooling', 'insurance', 'phone',
      ]);
    });

    it('records the creation in the audit log with the new values', async () => {
      const { household } = await create();
      const entries = await AuditModel.find({ entity: 'household', entityId: household.code }).lean();
      expect(entries.map((e) => e.action)).to.deep.equal(['household.create']);
      expect((entries[0].after as { code: string }).code).to.equal(household.code);
    });

    it('answers 409 HOUSEHOLD_EXISTS for a second household with the same code', async () => {
      const { household } = await create();
      const again = buildHousehold({ code: household.code });
      const res = await request(app).post('/api/v1/households').set(bearer(county)).send(again);
      expect(res.status).to.equal(409);
      expect(res.body.error.code).to.equal('HOUSEHOLD_EXISTS');
      expect(await HouseholdModel.countDocuments()).to.equal(1);
    });

    it('answers 400 HEAD_REQUIRED-style validation when there is no head or two heads', async () => {
      for (const members of [[buildMember({ relation: 'spouse' })], [buildMember({ relation: 'head' }), buildMember({ relation: 'head' })]]) {
        const res = await request(app).post('/api/v1/households').set(bearer(county)).send(buildHousehold({ members }));
        expect(res.status).to.equal(400);
        expect(res.body.error.details.map((d: { code: string }) => d.code)).to.include('members.head');
      }
      expect(await HouseholdModel.countDocuments()).to.equal(0);
    });

    it('refuses an auditor (403) and a village cadre writing into another village (403)', async () => {
      const a = await request(app).post('/api/v1/households').set(bearer(auditor)).send(buildHousehold());
      expect(a.status).to.equal(403);
      const v = await request(app).post('/api/v1/households').set(bearer(village)).send(buildHousehold({ regionCode: OTHER_VILLAGE }));
      expect(v.status).to.equal(403);
      expect(v.body.error.code).to.equal('REGION_OUT_OF_SCOPE');
      expect(await HouseholdModel.countDocuments()).to.equal(0);
    });

    it('refuses a regionCode that is not a village (400)', async () => {
      const res = await request(app).post('/api/v1/households').set(bearer(county)).send(buildHousehold({ regionCode: '421122001000' }));
      expect(res.status).to.equal(400);
      expect(await HouseholdModel.countDocuments()).to.equal(0);
    });

    it('answers 401 without a token', async () => {
      const res = await request(app).post('/api/v1/households').send(buildHousehold());
      expect(res.status).to.equal(401);
      expect(res.body.error.code).to.equal('UNAUTHENTICATED');
    });
  });

  describe('GET /households/:code', () => {
    it('shows a county cadre the full ID numbers of a household of its county', async () => {
      const { household } = await create();
      const res = await request(app).get(`/api/v1/households/${household.code}`).set(bearer(county));
      expect(res.status).to.equal(200);
      expect(res.body.members[0].idNumber).to.equal(household.members[0].idNumber);
    });

    it('masks ID numbers for an auditor', async () => {
      const { household } = await create();
      const res = await request(app).get(`/api/v1/households/${household.code}`).set(bearer(auditor));
      expect(res.status).to.equal(200);
      expect(res.body.members[0].idNumber).to.equal(maskIdNumber(household.members[0].idNumber));
    });

    it('answers 404 for a household outside the caller\'s region, as for one that does not exist', async () => {
      const { household } = await create(county, { regionCode: OTHER_VILLAGE });
      const res = await request(app).get(`/api/v1/households/${household.code}`).set(bearer(village));
      expect(res.status).to.equal(404);
      expect(res.body.error.code).to.equal('HOUSEHOLD_NOT_FOUND');
      const none = await request(app).get('/api/v1/households/999999999999000001').set(bearer(village));
      expect(none.status).to.equal(404);
      expect(none.body).to.deep.equal(res.body);
    });
  });

  describe('GET /households', () => {
    it('lists the caller\'s region only, paginated, with masked ID numbers', async () => {
      await create(county);
      await create(county);
      await create(county, { regionCode: OTHER_VILLAGE });
      await create(admin, { regionCode: OTHER_COUNTY_VILLAGE });
      const res = await request(app).get('/api/v1/households?limit=2&page=1').set(bearer(county));
      expect(res.status).to.equal(200);
      expect(res.body.total).to.equal(3);
      expect(res.body.items).to.have.length(2);
      expect(res.body).to.include({ page: 1, limit: 2 });
      for (const h of res.body.items) expect(h.members[0].idNumber).to.include('********');
      const page2 = await request(app).get('/api/v1/households?limit=2&page=2').set(bearer(county));
      expect(page2.body.items).to.have.length(1);
      const mine = await request(app).get('/api/v1/households').set(bearer(village));
      expect(mine.body.total).to.equal(2);
      expect(mine.body.items.every((h: { regionCode: string }) => h.regionCode === TEST_VILLAGE)).to.equal(true);
    });

    it('filters by region subtree, status, monitoring type, dibao and tekun', async () => {
      await create(county, { status: 'poor', dibao: true });
      await create(county, { status: 'exited', tekun: true, tekunCare: 'dispersed' });
      await create(county, { regionCode: OTHER_VILLAGE, status: 'exited', monitoring: { type: 'unstable', risks: ['illness'], identifiedAt: '2022-03-01', riskEliminated: false, eliminatedAt: null } });
      const count = async (qs: string) => (await request(app).get(`/api/v1/households?${qs}`).set(bearer(county))).body.total;
      expect(await count(`regionCode=${OTHER_VILLAGE}`)).to.equal(1);
      expect(await count('regionCode=421122001000')).to.equal(3);
      expect(await count('status=exited')).to.equal(2);
      expect(await count('monitoring=unstable')).to.equal(1);
      expect(await count('dibao=true')).to.equal(1);
      expect(await count('tekun=true')).to.equal(1);
      expect(await count('status=exited&tekun=false')).to.equal(1);
    });

    it('never widens the caller\'s region through the regionCode filter', async () => {
      await create(county);
      await create(county, { regionCode: OTHER_VILLAGE });
      await create(admin, { regionCode: OTHER_COUNTY_VILLAGE });
      const total = async (token: string, qs: string) => (await request(app).get(`/api/v1/households?${qs}`).set(bearer(token))).body.total;
      // CASE 1: a village cadre asking for its whole township still sees only its own village.
      expect(await total(village, 'regionCode=421122001000')).to.equal(1);
      // CASE 2: asking for another village or county gives nothing, not an error that confirms it exists.
      expect(await total(village, `regionCode=${OTHER_VILLAGE}`)).to.equal(0);
      expect(await total(county, 'regionCode=421123000000')).to.equal(0);
      // CASE 3: asking for the whole province narrows to the caller's county.
      expect(await total(county, 'regionCode=420000000000')).to.equal(2);
      expect(await total(admin, 'regionCode=420000000000')).to.equal(3);
    });

    it('finds a household by a member\'s name or full ID number, and treats regex characters literally', async () => {
      const { household } = await create(county, { members: [buildMember({ name: '王小明', relation: 'head' })] });
      await create(county, { members: [buildMember({ name: '李.*', relation: 'head' })] });
      const byName = await request(app).get(`/api/v1/households?q=${encodeURIComponent('小明')}`).set(bearer(county));
      expect(byName.body.items.map((h: { code: string }) => h.code)).to.deep.equal([household.code]);
      const byId = await request(app).get(`/api/v1/households?q=${household.members[0].idNumber}`).set(bearer(county));
      expect(byId.body.items.map((h: { code: string }) => h.code)).to.deep.equal([household.code]);
      const regex = await request(app).get(`/api/v1/households?q=${encodeURIComponent('.*')}`).set(bearer(county));
      expect(regex.body.total).to.equal(1);
    });

    it('refuses a page size above 200', async () => {
      const res = await request(app).get('/api/v1/households?limit=201').set(bearer(county));
      expect(res.status).to.equal(400);
      expect(res.body.error.details[0].path).to.equal('query.limit');
    });
  });

  describe('PATCH /households/:code', () => {
    it('changes the allowed fields, bumps the version and logs old and new values', async () => {
      const { household } = await create();
      const res = await request(app).patch(`/api/v1/households/${household.code}`).set(bearer(village))
        .send({ version: 1, dibao: true, supports: [{ category: 'health', since: '2024-01-01', until: null, amount: 100 }] });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ version: 2, dibao: true });
      const doc = await stored(household.code);
      expect(doc?.version).to.equal(2);
      expect(doc?.dibao).to.equal(true);
      expect(doc?.supports.map((s) => s.category)).to.deep.equal(['health']);
      const entry = await AuditModel.findOne({ entityId: household.code, action: 'household.update' }).lean();
      expect((entry?.before as { dibao: boolean }).dibao).to.equal(false);
      expect((entry?.after as { dibao: boolean }).dibao).to.equal(true);
    });

    it('stores a replaced object field whole, with its nested defaults', async () => {
      const { household } = await create();
      const res = await request(app).patch(`/api/v1/households/${household.code}`).set(bearer(county)).send({ version: 1, monitoring: { type: 'sudden' } });
      expect(res.status).to.equal(200);
      expect(res.body.monitoring).to.deep.equal({ type: 'sudden', risks: [], identifiedAt: null, riskEliminated: false, eliminatedAt: null });
      const doc = await stored(household.code);
      expect(doc?.monitoring).to.deep.include({ type: 'sudden', risks: [], riskEliminated: false });
      expect(doc?.dibao).to.equal(false);
    });

    it('answers 409 VERSION_CONFLICT to a stale version and changes nothing', async () => {
      const { household } = await create();
      await request(app).patch(`/api/v1/households/${household.code}`).set(bearer(county)).send({ version: 1, dibao: true }).expect(200);
      const stale = await request(app).patch(`/api/v1/households/${household.code}`).set(bearer(county)).send({ version: 1, tekun: true });
      expect(stale.status).to.equal(409);
      expect(stale.body.error.code).to.equal('VERSION_CONFLICT');
      const doc = await stored(household.code);
      expect(doc?.tekun).to.equal(false);
      expect(doc?.version).to.equal(2);
    });

    it('lets exactly one of two concurrent writers with the same version succeed', async () => {
      const { household } = await create();
      const [a, b] = await Promise.all([
        request(app).patch(`/api/v1/households/${household.code}`).set(bearer(county)).send({ version: 1, group: '一组' }),
        request(app).patch(`/api/v1/households/${household.code}`).set(bearer(county)).send({ version: 1, group: '二组' }),
      ]);
      expect([a.status, b.status].sort()).to.deep.equal([200, 409]);
      const winner = a.status === 200 ? '一组' : '二组';
      const doc = await stored(household.code);
      expect(doc?.group).to.equal(winner);
      expect(doc?.version).to.equal(2);
    });

    it('requires the version read (400 without it)', async () => {
      const { household } = await create();
      const res = await request(app).patch(`/api/v1/households/${household.code}`).set(bearer(county)).send({ dibao: true });
      expect(res.status).to.equal(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).to.include('version');
    });

    it('lets a county cadre move a household to another village of its county', async () => {
      const { household } = await create();
      const res = await request(app).patch(`/api/v1/households/${household.code}`).set(bearer(county)).send({ version: 1, regionCode: OTHER_VILLAGE });
      expect(res.status).to.equal(200);
      expect((await stored(household.code))?.regionCode).to.equal(OTHER_VILLAGE);
      const out = await request(app).patch(`/api/v1/households/${household.code}`).set(bearer(county)).send({ version: 2, regionCode: OTHER_COUNTY_VILLAGE });
      expect(out.status).to.equal(403);
      expect((await stored(household.code))?.regionCode).to.equal(OTHER_VILLAGE);
    });

    it('refuses an auditor (403) and a village cadre of another village (404)', async () => {
      const { household } = await create(county, { regionCode: OTHER_VILLAGE });
      const a = await request(app).patch(`/api/v1/households/${household.code}`).set(bearer(auditor)).send({ version: 1, dibao: true });
      expect(a.status).to.equal(403);
      const v = await request(app).patch(`/api/v1/households/${household.code}`).set(bearer(village)).send({ version: 1, dibao: true });
      expect(v.status).to.equal(404);
      expect((await stored(household.code))?.dibao).to.equal(false);
    });
  });

  describe('DELETE /households/:code', () => {
    it('deletes the household and logs its last values', async () => {
      const { household } = await create();
      const res = await request(app).delete(`/api/v1/households/${household.code}`).set(bearer(county));
      expect(res.status).to.equal(204);
      expect(await stored(household.code)).to.equal(null);
      const entry = await AuditModel.findOne({ entityId: household.code, action: 'household.delete' }).lean();
      expect((entry?.before as { code: string }).code).to.equal(household.code);
    });

    it('answers 409 to a stale ?version= and keeps the household', async () => {
      const { household } = await create();
      await request(app).patch(`/api/v1/households/${household.code}`).set(bearer(county)).send({ version: 1, dibao: true }).expect(200);
      const res = await request(app).delete(`/api/v1/households/${household.code}?version=1`).set(bearer(county));
      expect(res.status).to.equal(409);
      expect(await stored(household.code)).to.not.equal(null);
    });

    it('refuses an auditor', async () => {
      const { household } = await create();
      expect((await request(app).delete(`/api/v1/households/${household.code}`).set(bearer(auditor))).status).to.equal(403);
      expect(await stored(household.code)).to.not.equal(null);
    });
  });

  describe('members', () => {
    it('POST adds a member with an id and bumps the version; the change is logged as member.add', async () => {
      const { household } = await create();
      const member = buildMember({ name: '张小三', relation: 'son', gender: 'male' });
      const res = await request(app).post(`/api/v1/households/${household.code}/members`).set(bearer(village)).send(member);
      expect(res.status).to.equal(201);
      expect(res.body.member.id).to.match(/^[0-9a-f]{24}$/);
      expect(res.body.household.version).to.equal(2);
      const doc = await stored(household.code);
      expect(doc?.members.map((m) => m.name)).to.deep.equal(['张三', '李四', '张小三']);
      const entry = await AuditModel.findOne({ entityId: household.code, action: 'member.add' }).lean();
      expect((entry?.after as { name: string }).name).to.equal('张小三');
    });

    it('POST refuses a second head (400 HEAD_REQUIRED)', async () => {
      const { household } = await create();
      const res = await request(app).post(`/api/v1/households/${household.code}/members`).set(bearer(county)).send(buildMember({ relation: 'head' }));
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal('HEAD_REQUIRED');
      expect((await stored(household.code))?.members).to.have.length(2);
    });

    it('POST refuses the same person twice in one household (409 DUPLICATE_MEMBER)', async () => {
      const { household } = await create();
      const res = await request(app).post(`/api/v1/households/${household.code}/members`).set(bearer(county))
        .send(buildMember({ relation: 'son', idNumber: household.members[1].idNumber }));
      expect(res.status).to.equal(409);
      expect(res.body.error.code).to.equal('DUPLICATE_MEMBER');
    });

    it('PATCH changes a member and keeps its id; a new ID number brings its own birth date', async () => {
      const { body } = await create();
      const spouse = body.members[1];
      const newId = nextIdNumber({ birthDate: '1980-02-29', gender: 'female' });
      const res = await request(app).patch(`/api/v1/households/${body.code}/members/${spouse.id}`).set(bearer(county)).send({ health: 'chronic', idNumber: newId });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.member).to.include({ id: spouse.id, health: 'chronic', idNumber: newId, birthDate: '1980-02-29' });
      const doc = await stored(body.code);
      expect(String(doc?.members[1]._id)).to.equal(spouse.id);
      expect(doc?.members[1].personId).to.equal(newId);
      expect(await AuditModel.countDocuments({ entityId: body.code, action: 'member.update' })).to.equal(1);
    });

    it('PATCH refuses to leave the household without a head (400)', async () => {
      const { body } = await create();
      const res = await request(app).patch(`/api/v1/households/${body.code}/members/${body.members[0].id}`).set(bearer(county)).send({ relation: 'other' });
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal('HEAD_REQUIRED');
      expect((await stored(body.code))?.members[0].relation).to.equal('head');
    });

    it('PATCH with a stale version answers 409', async () => {
      const { body } = await create();
      await request(app).patch(`/api/v1/households/${body.code}`).set(bearer(county)).send({ version: 1, dibao: true }).expect(200);
      const res = await request(app).patch(`/api/v1/households/${body.code}/members/${body.members[1].id}`).set(bearer(county)).send({ version: 1, health: 'serious' });
      expect(res.status).to.equal(409);
    });

    it('DELETE removes a member, but never the only head', async () => {
      const { body } = await create();
      const head = await request(app).delete(`/api/v1/households/${body.code}/members/${body.members[0].id}`).set(bearer(county));
      expect(head.status).to.equal(400);
      expect(head.body.error.code).to.equal('HEAD_REQUIRED');
      const spouse = await request(app).delete(`/api/v1/households/${body.code}/members/${body.members[1].id}`).set(bearer(county));
      expect(spouse.status).to.equal(200);
      const doc = await stored(body.code);
      expect(doc?.members.map((m) => m.relation)).to.deep.equal(['head']);
      expect(await AuditModel.countDocuments({ entityId: body.code, action: 'member.remove' })).to.equal(1);
    });

    it('answers 404 MEMBER_NOT_FOUND for an unknown member id', async () => {
      const { body } = await create();
      const res = await request(app).patch(`/api/v1/households/${body.code}/members/0123456789abcdef01234567`).set(bearer(county)).send({ health: 'healthy' });
      expect(res.status).to.equal(404);
      expect(res.body.error.code).to.equal('MEMBER_NOT_FOUND');
    });
  });

  describe('POST /households/:code/members/:memberId/reveal', () => {
    it('gives an auditor the full number and logs who, why and which member', async () => {
      const { body, household } = await create();
      const res = await request(app).post(`/api/v1/households/${body.code}/members/${body.members[0].id}/reveal`).set(bearer(auditor)).send({ reason: '核对身份证件' });
      expect(res.status).to.equal(200);
      expect(res.body.idNumber).to.equal(household.members[0].idNumber);
      const entry = await AuditModel.findOne({ action: 'reveal', entityId: body.code }).lean();
      expect(entry?.role).to.equal('auditor');
      expect(entry?.details).to.deep.equal({ memberId: body.members[0].id, reason: '核对身份证件' });
    });

    it('requires a reason of at least 4 characters', async () => {
      const { body } = await create();
      for (const payload of [{}, { reason: 'ab' }]) {
        const res = await request(app).post(`/api/v1/households/${body.code}/members/${body.members[0].id}/reveal`).set(bearer(auditor)).send(payload);
        expect(res.status).to.equal(400);
      }
      expect(await AuditModel.countDocuments({ action: 'reveal' })).to.equal(0);
    });
  });

  describe('GET /households/:code/changes', () => {
    it('lists the household\'s changes newest first, and only that household\'s', async () => {
      const { body } = await create();
      const other = await create();
      await request(app).patch(`/api/v1/households/${body.code}`).set(bearer(county)).send({ version: 1, dibao: true }).expect(200);
      await request(app).post(`/api/v1/households/${body.code}/members`).set(bearer(county)).send(buildMember({ relation: 'son' })).expect(201);
      await request(app).patch(`/api/v1/households/${other.body.code}`).set(bearer(county)).send({ version: 1, tekun: true }).expect(200);
      const res = await request(app).get(`/api/v1/households/${body.code}/changes`).set(bearer(county));
      expect(res.status).to.equal(200);
      expect(res.body.items.map((e: { action: string }) => e.action)).to.deep.equal(['member.add', 'household.update', 'household.create']);
      expect(res.body.items[1].before.dibao).to.equal(false);
      expect(res.body.items[1].after.dibao).to.equal(true);
      expect(res.body.items[0].user).to.be.a('string');
    });

    it('masks ID numbers in the log for an auditor and answers 404 outside the caller\'s region', async () => {
      const { body, household } = await create(county, { regionCode: OTHER_VILLAGE });
      const res = await request(app).get(`/api/v1/households/${body.code}/changes`).set(bearer(auditor));
      expect(res.status).to.equal(200);
      expect(res.body.items[0].after.members[0].idNumber).to.equal(maskIdNumber(household.members[0].idNumber));
      const outside = await request(app).get(`/api/v1/households/${body.code}/changes`).set(bearer(village));
      expect(outside.status).to.equal(404);
    });
  });
});
