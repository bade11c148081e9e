/**
 * Access by role to the route families beside /households (issue 4): regions, users, audit, the
 * rules and the caller's own account. Each family: who is allowed, who is refused (403), and nobody gets in
 * without a token (401).
 */
import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/app';
import { RegionModel } from '../../src/regions/region.model';
import type { Role } from '../../src/users/actor';
import { resetLoginLimits, tokenFor } from '../helpers/auth';
import { resetDatabase } from '../helpers/db';

const COUNTY_A = '421122000000';
const A1 = '421122001001';

const scopes: Record<Role, string[]> = {
  admin: ['000000000000'],
  county: [COUNTY_A],
  village: [A1],
  auditor: [COUNTY_A],
};

describe('access to regions, users, audit and /me by role', () => {
  let app: Express;
  const tokens = {} as Record<Role, string>;

  before(async () => {
    app = createApp();
    await resetDatabase();
    await resetLoginLimits();
    for (const role of Object.keys(scopes) as Role[]) tokens[role] = await tokenFor(role, scopes[role]);
  });

  const call = (role: Role | null, method: 'get' | 'post' | 'patch', path: string, body?: object) => {
    const req = request(app)[method](`/api/v1${path}`);
    if (role) req.set('Authorization', `Bearer ${tokens[role]}`);
    return body ? req.send(body) : req;
  };

  /** [method, path, body, roles allowed]; every other role gets 403. */
  const table: Array<[string, 'get' | 'post' | 'patch', string, object | undefined, Role[]]> = [
    ['read regions', 'get', '/regions', undefined, ['admin', 'county', 'village', 'auditor']],
    ['write regions', 'post', '/regions', { regions: [{ code: '421122003001', name: '王家村' }] }, ['admin', 'county']],
    ['list users', 'get', '/users', undefined, ['admin']],
    ['create users', 'post', '/users', { username: 'newcomer', password: 'long enough password', role: 'village', regionCodes: [A1] }, ['admin']],
    ['change users', 'patch', '/users/newcomer', { disabled: true }, ['admin']],
    ['read the audit trail', 'get', '/audit', undefined, ['admin', 'auditor']],
    ['read one\'s own account', 'get', '/me', undefined, ['admin', 'county', 'village', 'auditor']],
    ['read the rules in force', 'get', '/rules?asOf=2024-06-30', undefined, ['admin', 'county', 'village', 'auditor']],
  ];

  for (const [what, method, path, body, allowed] of table) {
    describe(`${what} (${method.toUpperCase()} ${path})`, () => {
      for (const role of Object.keys(scopes) as Role[]) {
        const ok = allowed.includes(role);
        it(`${ok ? 'allows' : 'refuses (403)'} ${role}`, async () => {
          const res = await call(role, method, path, body);
          if (ok) expect(res.status, JSON.stringify(res.body)).to.be.within(200, 299);
          else {
            expect(res.status).to.equal(403);
            expect(res.body.error.code).to.equal('FORBIDDEN');
          }
        });
      }
      it('answers 401 without a token', async () => {
        const res = await call(null, method, path, body);
        expect(res.status).to.equal(401);
        expect(res.body.error.code).to.equal('UNAUTHENTICATED');
      });
    });
  }

  it('keeps a county from adding regions outside its county', async () => {
    const res = await call('county', 'post', '/regions', { regions: [{ code: '421123001001', name: '外县村' }] });
    expect(res.status).to.equal(400);
    expect(await RegionModel.countDocuments({ code: '421123001001' })).to.equal(0);
  });
});
