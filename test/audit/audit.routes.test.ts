import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/app';
import { AuditModel } from '../../src/audit/audit.model';
import { recordAudit } from '../../src/audit/audit.service';
import type { Actor } from '../../src/users/actor';
import { resetLoginLimits, tokenFor } from '../helpers/auth';
import { resetDatabase } from '../helpers/db';

const COUNTY_A = '421122000000';
const VILLAGE_A = '421122001001';
const VILLAGE_A2 = '421122002003';
const VILLAGE_B = '421123001001';

const cadre: Actor = { userId: 'u1', username: 'cadre', role: 'village', regionCodes: [VILLAGE_A] };
const other: Actor = { userId: 'u2', username: 'other', role: 'county', regionCodes: ['421123000000'] };

describe('GET /audit', () => {
  let app: Express;
  let admin: string;
  before(() => {
    app = createApp();
  });
  beforeEach(async () => {
    await resetDatabase();
    await resetLoginLimits();
    admin = await tokenFor('admin', ['000000000000'], 'root');
    await recordAudit(cadre, { action: 'household.create', entity: 'household', entityId: '421122001001000001', regionCode: VILLAGE_A, after: { status: 'poor' } });
    await recordAudit(cadre, { action: 'household.update', entity: 'household', entityId: '421122001001000001', regionCode: VILLAGE_A, before: { status: 'poor' }, after: { status: 'exited' } });
    await recordAudit(cadre, { action: 'household.create', entity: 'household', entityId: '421122002003000001', regionCode: VILLAGE_A2 });
    await recordAudit(other, { action: 'household.create', entity: 'household', entityId: '421123001001000001', regionCode: VILLAGE_B });
    await recordAudit(other, { action: 'export', entity: 'export', regionCode: '421123000000', details: { rows: 10 } });
  });

  const get = (token: string, query = '') => request(app).get(`/api/v1/audit${query}`).set('Authorization', `Bearer ${token}`);

  it('shows an admin every entry, newest first, logins included', async () => {
    const res = await get(admin).expect(200);
    // 5 seeded entries, plus the admin's own user.create and auth.login.
    expect(res.body).to.include({ total: 7, page: 1, limit: 50 });
    const times = res.body.items.map((e: { at: string }) => new Date(e.at).getTime());
    expect(times).to.deep.equal([...times].sort((a, b) => b - a));
    expect(res.body.items.map((e: { action: string }) => e.action)).to.include('auth.login');
    expect(res.body.items[0]).to.have.keys('id', 'at', 'userId', 'username', 'role', 'action', 'entity', 'entityId', 'regionCode', 'before', 'after', 'details');
  });

  /*
   * CASE 1: action. CASE 2: entity + entityId. CASE 3: username. CASE 4: from/to window.
   * CASE 5: regionCode subtree. CASE 6: pagination.
   */
  it('filters by action, entity, entityId, username, time, region and pages', async () => {
    expect((await get(admin, '?action=household.create').expect(200)).body.total).to.equal(3);
    const one = (await get(admin, '?entity=household&entityId=421122001001000001').expect(200)).body;
    expect(one.items.map((e: { action: string }) => e.action)).to.deep.equal(['household.update', 'household.create']);
    expect(one.items[0].before).to.deep.equal({ status: 'poor' });
    expect((await get(admin, '?username=other').expect(200)).body.total).to.equal(2);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await get(admin, `?from=${encodeURIComponent(future)}`).expect(200)).body.total).to.equal(0);
    expect((await get(admin, `?to=${encodeURIComponent(future)}`).expect(200)).body.total).to.equal(7);
    expect((await get(admin, `?regionCode=${COUNTY_A}`).expect(200)).body.total).to.equal(3);
    const page2 = (await get(admin, '?limit=2&page=2').expect(200)).body;
    expect(page2).to.include({ total: 7, page: 2, limit: 2 });
    expect(page2.items).to.have.length(2);
  });

  it('shows an auditor only the entries of its region, without logins or user changes', async () => {
    const auditor = await tokenFor('auditor', [COUNTY_A]);
    const res = await get(auditor).expect(200);
    expect(res.body.total).to.equal(3);
    expect(res.body.items.every((e: { regionCode: string }) => e.regionCode.startsWith('421122'))).to.equal(true);
    // Asking for another region does not widen the scope.
    expect((await get(auditor, `?regionCode=${VILLAGE_B}`).expect(200)).body.total).to.equal(0);
    const villageAuditor = await tokenFor('auditor', [VILLAGE_A2]);
    expect((await get(villageAuditor).expect(200)).body.total).to.equal(1);
  });

  for (const [role, regions] of [['county', [COUNTY_A]], ['village', [VILLAGE_A]]] as const) {
    it(`answers 403 to a ${role} user`, async () => {
      const token = await tokenFor(role, [...regions]);
      const res = await get(token).expect(403);
      expect(res.body.error.code).to.equal('FORBIDDEN');
    });
  }

  it('answers 401 without a token', async () => {
    await request(app).get('/api/v1/audit').expect(401);
  });

  it('refuses unknown filters, operators and repeated keys with 400', async () => {
    for (const q of ['?password=x', '?action[$ne]=x', '?action=a&action=b', '?from=yesterday', '?limit=100000']) {
      const res = await get(admin, q);
      expect(res.status, q).to.equal(400);
      expect(res.body.error.code).to.equal('VALIDATION_FAILED');
    }
  });

  it('offers no way to change or delete an entry', async () => {
    const before = await AuditModel.find({}).sort({ _id: 1 }).lean();
    const id = String(before[0]._id);
    for (const method of ['put', 'patch', 'delete'] as const) {
      for (const path of ['/api/v1/audit', `/api/v1/audit/${id}`]) {
        const res = await request(app)[method](path).set('Authorization', `Bearer ${admin}`).send({ action: 'nothing happened' });
        expect([404, 405], `${method} ${path}`).to.include(res.status);
      }
    }
    const post = await request(app).post('/api/v1/audit').set('Authorization', `Bearer ${admin}`).send({ action: 'forged' });
    expect([404, 405]).to.include(post.status);
    const after = await AuditModel.find({}).sort({ _id: 1 }).lean();
    expect(after.slice(0, before.length)).to.deep.equal(before);
    expect(after.every((e) => e.action !== 'forged' && e.action !== 'nothing happened')).to.equal(true);
  });
});
