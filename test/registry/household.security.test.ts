/**
 * SECURITY.md "Queries and bodies" and "Identity numbers", through the HTTP API, checking the
 * database after each call. Every refused request must leave the stored data as it was and
 * answer `{ error: { code, message, details } }` with no stack and no raw filter.
 */
import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../src/app';
import { AuditModel } from '../../src/audit/audit.model';
import { HouseholdModel } from '../../src/registry/household.model';
import { tokenFor } from '../helpers/auth';
import { buildHousehold, buildMember, TEST_VILLAGE } from '../helpers/builders';
import { resetDatabase } from '../helpers/db';
import { makeIdNumber, nextIdNumber, withWrongCheckDigit } from '../helpers/id-numbers';

const app = createApp();
const COUNTY = '421122000000';
const OTHER_VILLAGE = '421122001002';
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

function expectCleanError(body: unknown): void {
  const text = JSON.stringify(body);
  expect(text).to.not.match(/\bat .+\.(ts|js):\d+/);
  expect(text).to.not.include('E11000');
  expect(body).to.have.nested.property('error.code');
}

describe('household API hardening', () => {
  let county: string;
  let village: string;

  before(async () => {
    await resetDatabase();
    [county, village] = await Promise.all([tokenFor('county', [COUNTY]), tokenFor('village', [TEST_VILLAGE])]);
  });

  beforeEach(async () => {
    await Promise.all([HouseholdModel.deleteMany({}), AuditModel.deleteMany({})]);
  });

  async function create(overrides = {}) {
    const household = buildHousehold(overrides);
    const res = await request(app).post('/api/v1/households').set(bearer(county)).send(household);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body;
  }

  describe('operator injection', () => {
    const operators = [{ $ne: null }, { $gt: '' }, { $regex: '.*' }, { $where: 'true' }, { $expr: { $eq: [1, 1] } }, { $nor: [{ a: 1 }] }];

    it('refuses operators in body values (400) and stores nothing', async () => {
      for (const op of operators) {
        const household = buildHousehold();
        const bad = { ...household, members: [{ ...household.members[0], idNumber: op }] };
        const res = await request(app).post('/api/v1/households').set(bearer(county)).send(bad);
        expect(res.status, JSON.stringify(op)).to.equal(400);
        expect(res.body.error.code).to.equal('VALIDATION_FAILED');
        expectCleanError(res.body);
        const status = await request(app).post('/api/v1/households').set(bearer(county)).send({ ...household, status: op });
        expect(status.status).to.equal(400);
      }
      expect(await HouseholdModel.countDocuments()).to.equal(0);
    });

    it('refuses top-level operators such as $where, $expr and $nor in a body', async () => {
      for (const key of ['$where', '$expr', '$nor']) {
        const res = await request(app).post('/api/v1/households').set(bearer(county)).send({ ...buildHousehold(), [key]: key === '$nor' ? [{ code: 'x' }] : 'true' });
        expect(res.status).to.equal(400);
        expect(res.body.error.details.map((d: { path: string }) => d.path)).to.include(key);
      }
      expect(await HouseholdModel.countDocuments()).to.equal(0);
    });

    it('refuses an operator in the PATCH version, so no filter can match every version', async () => {
      const body = await create();
      const res = await request(app).patch(`/api/v1/households/${body.code}`).set(bearer(county)).send({ version: { $gt: 0 }, dibao: true });
      expect(res.status).to.equal(400);
      const doc = await HouseholdModel.findOne({ code: body.code }).lean();
      expect(doc?.dibao).to.equal(false);
      expect(doc?.version).to.equal(1);
    });

    it('refuses bracketed operators in list and search query strings (400)', async () => {
      await create();
      for (const qs of ['q[$ne]=x', 'status[$ne]=x', 'regionCode[$regex]=.*', 'q[$regex]=.*', 'dibao[$ne]=true', 'monitoring[$exists]=true']) {
        const res = await request(app).get(`/api/v1/households?${qs}`).set(bearer(county));
        expect(res.status, qs).to.equal(400);
        expectCleanError(res.body);
      }
    });

    it('treats an operator spelled as text as a plain, invalid value', async () => {
      await create();
      const res = await request(app).get(`/api/v1/households?status=${encodeURIComponent('{"$ne":null}')}`).set(bearer(county));
      expect(res.status).to.equal(400);
      const q = await request(app).get(`/api/v1/households?q=${encodeURIComponent('{"$ne":null}')}`).set(bearer(county));
      expect(q.status).to.equal(200);
      expect(q.body.total).to.equal(0);
    });

    it('refuses operators on the regions list too', async () => {
      const res = await request(app).get('/api/v1/regions?parent[$ne]=x').set(bearer(county));
      expect(res.status).to.equal(400);
    });
  });

  describe('repeated query keys', () => {
    it('answers 400 to ?status=poor&status=exited instead of turning it into $in', async () => {
      await create({ status: 'poor' });
      await create({ status: 'exited' });
      const res = await request(app).get('/api/v1/households?status=poor&status=exited').set(bearer(county));
      expect(res.status).to.equal(400);
      expect(res.body.error.details[0]).to.include({ path: 'query.status', code: 'repeated' });
      const region = await request(app).get(`/api/v1/households?regionCode=${TEST_VILLAGE}&regionCode=${OTHER_VILLAGE}`).set(bearer(county));
      expect(region.status).to.equal(400);
    });
  });

  describe('unknown fields', () => {
    it('answers 400 naming an unknown body field, and an unknown query parameter', async () => {
      const res = await request(app).post('/api/v1/households').set(bearer(county)).send({ ...buildHousehold(), favouriteColour: 'red' });
      expect(res.status).to.equal(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).to.include('favouriteColour');
      expect(res.body.error.message).to.include('favouriteColour');
      const nested = buildHousehold();
      const member = await request(app).post('/api/v1/households').set(bearer(county)).send({ ...nested, members: [{ ...nested.members[0], salary: 1 }] });
      expect(member.status).to.equal(400);
      expect(member.body.error.details.map((d: { path: string }) => d.path)).to.include('members.0.salary');
      const query = await request(app).get('/api/v1/households?village=abc').set(bearer(county));
      expect(query.status).to.equal(400);
      expect(query.body.error.details[0].path).to.equal('query.village');
      expect(await HouseholdModel.countDocuments()).to.equal(0);
    });
  });

  describe('mass assignment (refused with 400, never silently applied)', () => {
    it('refuses version, createdBy, createdAt and updatedBy in a new household', async () => {
      for (const field of ['version', 'createdBy', 'updatedBy', 'createdAt', 'updatedAt', '_id']) {
        const res = await request(app).post('/api/v1/households').set(bearer(county)).send({ ...buildHousehold(), [field]: field === 'version' ? 99 : 'x' });
        expect(res.status, field).to.equal(400);
        expect(res.body.error.details.map((d: { path: string }) => d.path)).to.include(field);
      }
      expect(await HouseholdModel.countDocuments()).to.equal(0);
    });

    it('refuses createdBy, code and members in a PATCH, and regionCode from a village cadre', async () => {
      const body = await create();
      for (const extra of [{ createdBy: 'mallory' }, { updatedBy: 'mallory' }, { code: 'X1' }, { members: [] }, { createdAt: '2020-01-01' }]) {
        const res = await request(app).patch(`/api/v1/households/${body.code}`).set(bearer(village)).send({ version: 1, dibao: true, ...extra });
        expect(res.status, JSON.stringify(extra)).to.equal(400);
      }
      const move = await request(app).patch(`/api/v1/households/${body.code}`).set(bearer(village)).send({ version: 1, regionCode: OTHER_VILLAGE });
      expect(move.status).to.equal(400);
      expect(move.body.error.code).to.equal('FIELD_NOT_WRITABLE');
      expect(move.body.error.details[0].path).to.equal('regionCode');
      const doc = await HouseholdModel.findOne({ code: body.code }).lean();
      expect(doc).to.include({ regionCode: TEST_VILLAGE, version: 1, dibao: false });
      expect(doc?.createdBy).to.not.equal('mallory');
    });

    it('refuses a member id or personId sent by the client', async () => {
      const body = await create();
      const res = await request(app).post(`/api/v1/households/${body.code}/members`).set(bearer(county)).send({ ...buildMember({ relation: 'son' }), id: body.members[0].id });
      expect(res.status).to.equal(400);
      const pid = await request(app).patch(`/api/v1/households/${body.code}/members/${body.members[1].id}`).set(bearer(county)).send({ personId: '110105194912310021' });
      expect(pid.status).to.equal(400);
    });
  });

  describe('prototype keys', () => {
    afterEach(() => {
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      expect(Object.prototype).to.not.have.property('polluted');
    });

    it('refuses __proto__ and constructor.prototype in bodies and changes nothing, now or later', async () => {
      const household = buildHousehold();
      const json = JSON.stringify(household);
      const withProto = `{"__proto__":{"polluted":true},${json.slice(1)}`;
      const res = await request(app).post('/api/v1/households').set(bearer(county)).set('Content-Type', 'application/json').send(withProto);
      expect(res.status).to.equal(400);
      expect(res.body.error.details[0]).to.include({ path: '__proto__', code: 'prototype' });
      const ctor = await request(app).post('/api/v1/households').set(bearer(county)).send({ ...household, constructor: { prototype: { polluted: true } } });
      expect(ctor.status).to.equal(400);
      const nested = `${json.slice(0, -1)},"income":{"__proto__":{"polluted":true},"wage":1}}`;
      const deep = await request(app).post('/api/v1/households').set(bearer(county)).set('Content-Type', 'application/json').send(nested);
      expect(deep.status).to.equal(400);
      expect(await HouseholdModel.countDocuments()).to.equal(0);
      // Later: a normal request still behaves normally.
      expect((await request(app).post('/api/v1/households').set(bearer(county)).send(household)).status).to.equal(201);
      expect((await HouseholdModel.findOne({ code: household.code }).lean() as Record<string, unknown>).polluted).to.equal(undefined);
    });

    it('refuses __proto__ in a query string', async () => {
      const res = await request(app).get('/api/v1/households?__proto__=1').set(bearer(county));
      expect(res.status).to.equal(400);
      const bracket = await request(app).get('/api/v1/households?__proto__[polluted]=1').set(bearer(county));
      expect(bracket.status).to.equal(400);
    });
  });

  describe('sizes', () => {
    it('answers 413 PAYLOAD_TOO_LARGE to a body over the limit and stores nothing', async () => {
      const res = await request(app).post('/api/v1/households').set(bearer(county)).send({ ...buildHousehold(), group: 'x'.repeat(1_100_000) });
      expect(res.status).to.equal(413);
      expect(res.body.error.code).to.equal('PAYLOAD_TOO_LARGE');
      expect(await HouseholdModel.countDocuments()).to.equal(0);
    });

    it('answers 400 to arrays and nesting beyond bounds', async () => {
      const members = [buildMember({ relation: 'head' }), ...Array.from({ length: 30 }, () => buildMember({ relation: 'son' }))];
      const tooMany = await request(app).post('/api/v1/households').set(bearer(county)).send(buildHousehold({ members }));
      expect(tooMany.status).to.equal(400);
      const visits = Array.from({ length: 201 }, () => ({ date: '2024-01-01', visitor: '李明', level: 'village' as const, notes: '' }));
      expect((await request(app).post('/api/v1/households').set(bearer(county)).send(buildHousehold({ visits }))).status).to.equal(400);
      let deep: Record<string, unknown> = { wage: 1 };
      for (let i = 0; i < 20; i++) deep = { wage: deep };
      const nested = await request(app).post('/api/v1/households').set(bearer(county)).send({ ...buildHousehold(), income: deep });
      expect(nested.status).to.equal(400);
      expect(nested.body.error.details.map((d: { code: string }) => d.code)).to.include('nesting');
      expect(await HouseholdModel.countDocuments()).to.equal(0);
    });

    it('answers 400 INVALID_JSON to a malformed body', async () => {
      const res = await request(app).post('/api/v1/households').set(bearer(county)).set('Content-Type', 'application/json').send('{"code": ');
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal('INVALID_JSON');
      expectCleanError(res.body);
    });

    it('refuses money that is negative or not finite', async () => {
      const h = buildHousehold();
      const neg = await request(app).post('/api/v1/households').set(bearer(county)).send({ ...h, income: { ...h.income, wage: -1 } });
      expect(neg.status).to.equal(400);
      const big = await request(app).post('/api/v1/households').set(bearer(county)).set('Content-Type', 'application/json')
        .send(JSON.stringify({ ...h, microloanBalance: 0 }).replace('"microloanBalance":0', '"microloanBalance":1e400'));
      expect(big.status).to.equal(400);
    });
  });

  describe('identity numbers', () => {
    async function postWithHeadId(idNumber: unknown) {
      const h = buildHousehold();
      return request(app).post('/api/v1/households').set(bearer(county)).send({ ...h, members: [{ ...h.members[0], idNumber, birthDate: null }] });
    }

    it('refuses an ID number sent as a JSON number (it has already lost digits)', async () => {
      const res = await request(app).post('/api/v1/households').set(bearer(county)).set('Content-Type', 'application/json')
        .send(JSON.stringify(buildHousehold({ members: [buildMember({ relation: 'head', idNumber: '440524188001010014' })] })).replace('"440524188001010014"', '440524188001010014'));
      expect(res.status).to.equal(400);
      expect(res.body.error.details[0]).to.include({ path: 'members.0.idNumber', code: 'idNumber.format' });
      expect(await HouseholdModel.countDocuments()).to.equal(0);
    });

    it('refuses a wrong check digit, an impossible birth date and a future birth date', async () => {
      const cases: [string, string][] = [
        [withWrongCheckDigit(nextIdNumber()), 'idNumber.check-digit'],
        [makeIdNumber('1999-02-30', 11), 'idNumber.birth-date'],
        [makeIdNumber('2099-01-01', 11), 'idNumber.birth-date'],
        [makeIdNumber('1980-01-01', 11, '991122'), 'idNumber.region'],
        ['12345', 'idNumber.format'],
      ];
      for (const [id, code] of cases) {
        const res = await postWithHeadId(id);
        expect(res.status, id).to.equal(400);
        expect(res.body.error.details[0].code, id).to.equal(code);
      }
      expect(await HouseholdModel.countDocuments()).to.equal(0);
    });

    it('stores a lower-case x as X', async () => {
      const res = await postWithHeadId('11010519491231002x');
      expect(res.status).to.equal(201);
      const doc = await HouseholdModel.findOne({ code: res.body.code }).lean();
      expect(doc?.members[0].idNumber).to.equal('11010519491231002X');
    });

    it('refuses a birth date that disagrees with the ID number', async () => {
      const h = buildHousehold();
      const res = await request(app).post('/api/v1/households').set(bearer(county)).send({ ...h, members: [{ ...h.members[0], birthDate: '1901-01-01' }, h.members[1]] });
      expect(res.status).to.equal(400);
      expect(res.body.error.details[0].code).to.equal('member.birthDate');
    });

    it('accepts 20- and 22-digit disability card numbers, keyed by their first 18 digits', async () => {
      const id = nextIdNumber();
      const res20 = await postWithHeadId(`${id}21`);
      expect(res20.status, JSON.stringify(res20.body)).to.equal(201);
      expect(res20.body.members[0].birthDate).to.equal(`${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`);
      const doc = await HouseholdModel.findOne({ code: res20.body.code }).lean();
      expect(doc?.members[0].personId).to.equal(id);
      const found = await request(app).get(`/api/v1/households?q=${id}`).set(bearer(county));
      expect(found.body.items.map((h: { code: string }) => h.code)).to.deep.equal([res20.body.code]);
      const res22 = await postWithHeadId(`${nextIdNumber()}2102`);
      expect(res22.status).to.equal(201);
    });

    it('answers 409 PERSON_IN_OTHER_HOUSEHOLD without naming the other household or village', async () => {
      const first = await create({ regionCode: OTHER_VILLAGE });
      const id = first.members[1].idNumber as string;
      const cases = [id, `${id}21`, `${id}2102`];
      for (const idNumber of cases) {
        const h = buildHousehold();
        const res = await request(app).post('/api/v1/households').set(bearer(village)).send({ ...h, members: [h.members[0], { ...h.members[1], idNumber, birthDate: null }] });
        expect(res.status, idNumber).to.equal(409);
        expect(res.body.error.code).to.equal('PERSON_IN_OTHER_HOUSEHOLD');
        const text = JSON.stringify(res.body);
        expect(text).to.not.include(first.code);
        expect(text).to.not.include(OTHER_VILLAGE);
        expectCleanError(res.body);
      }
      expect(await HouseholdModel.countDocuments()).to.equal(1);
    });

    it('answers 409 when a member added or changed is already in another household', async () => {
      const first = await create();
      const second = await create();
      const taken = first.members[0].idNumber as string;
      const add = await request(app).post(`/api/v1/households/${second.code}/members`).set(bearer(county)).send(buildMember({ relation: 'son', idNumber: taken }));
      expect(add.status).to.equal(409);
      expect(add.body.error.code).to.equal('PERSON_IN_OTHER_HOUSEHOLD');
      const change = await request(app).patch(`/api/v1/households/${second.code}/members/${second.members[1].id}`).set(bearer(county)).send({ idNumber: taken });
      expect(change.status).to.equal(409);
      const doc = await HouseholdModel.findOne({ code: second.code }).lean();
      expect(doc?.members).to.have.length(2);
      expect(doc?.version).to.equal(1);
    });

    it('keeps the unique index as the last guard: a direct duplicate insert fails with 11000', async () => {
      const first = await create();
      const h = buildHousehold();
      let error: { code?: number } | undefined;
      try {
        await HouseholdModel.create({ ...h, members: [{ ...h.members[0], idNumber: `${first.members[0].idNumber}21` }] });
      } catch (err) {
        error = err as { code?: number };
      }
      expect(error?.code).to.equal(11000);
    });
  });
});
