import { createHash } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/app';
import { AuditModel } from '../../src/audit/audit.model';
import { TokenModel } from '../../src/users/token.model';
import { UserModel } from '../../src/users/user.model';
import { tokenSettings } from '../../src/users/user.service';
import { fakeClock, resetLoginLimits, tokenFor, userFor, type TestUser } from '../helpers/auth';
import { resetDatabase } from '../helpers/db';

const VILLAGE = '421122001001';
const COUNTY = '421122000000';

describe('users and login API', () => {
  let app: Express;
  before(() => {
    app = createApp();
  });
  beforeEach(async () => {
    await resetDatabase();
    await resetLoginLimits();
  });

  const login = (username: string, password: string) => request(app).post('/api/v1/auth/login').send({ username, password });
  const me = (token: string) => request(app).get('/api/v1/me').set('Authorization', `Bearer ${token}`);

  describe('POST /auth/login', () => {
    let user: TestUser;
    beforeEach(async () => {
      user = await userFor('village', [VILLAGE], 'zhangsan');
    });

    it('answers a token and its expiry for the right password', async () => {
      const res = await login('zhangsan', user.password).expect(200);
      expect(res.body.token).to.be.a('string').with.length.greaterThan(30);
      const expiresAt = new Date(res.body.expiresAt).getTime();
      expect(expiresAt - Date.now()).to.be.closeTo(tokenSettings.ttlMinutes * 60_000, 10_000);
      expect(res.headers['cache-control']).to.equal('no-store');
      await me(res.body.token).expect(200);
    });

    it('stores only the SHA-256 of the token', async () => {
      const res = await login('zhangsan', user.password).expect(200);
      const hash = createHash('sha256').update(res.body.token).digest('hex');
      expect(await TokenModel.countDocuments({ hash })).to.equal(1);
      const rows = await TokenModel.find({}).lean();
      expect(JSON.stringify(rows)).not.to.include(res.body.token);
    });

    it('folds the case of the username', async () => {
      await login('ZhangSan', user.password).expect(200);
    });

    it('answers the same 401 for a wrong password, an unknown user and a disabled user', async () => {
      const wrong = await login('zhangsan', 'not-the-password').expect(401);
      const unknown = await login('nobody', 'not-the-password').expect(401);
      await UserModel.updateOne({ username: 'zhangsan' }, { $set: { disabled: true } });
      const disabled = await login('zhangsan', user.password).expect(401);
      for (const res of [wrong, unknown, disabled]) expect(res.body.error.code).to.equal('INVALID_CREDENTIALS');
      expect(unknown.body).to.deep.equal(wrong.body);
      expect(disabled.body).to.deep.equal(wrong.body);
    });

    it('records logins and failed logins in the audit trail, never the password', async () => {
      await login('zhangsan', user.password).expect(200);
      await login('zhangsan', 'wrong-password-1').expect(401);
      await login('ghost', 'wrong-password-2').expect(401);
      const ok = await AuditModel.find({ action: 'auth.login', entityId: 'zhangsan' }).lean();
      // userFor logged in once through the service, the test once over HTTP.
      expect(ok).to.have.length(2);
      expect(ok[1].role).to.equal('village');
      const failed = await AuditModel.find({ action: 'auth.login.failed' }).sort({ at: 1 }).lean();
      expect(failed.map((e) => [e.username, (e.details as { reason: string }).reason])).to.deep.equal([
        ['zhangsan', 'wrong-password'],
        ['ghost', 'unknown-user'],
      ]);
      const all = JSON.stringify(await AuditModel.find({}).lean());
      expect(all).not.to.include('wrong-password-1');
      expect(all).not.to.include(user.password);
    });

    it('refuses operators and unknown fields with 400', async () => {
      const op = await request(app).post('/api/v1/auth/login').send({ username: 'zhangsan', password: { $ne: null } }).expect(400);
      expect(op.body.error.code).to.equal('VALIDATION_FAILED');
      const extra = await request(app).post('/api/v1/auth/login').send({ username: 'zhangsan', password: user.password, role: 'admin' }).expect(400);
      expect(extra.body.error.code).to.equal('VALIDATION_FAILED');
    });

    /*
     * CASE 1: five wrong passwords answer 401.
     * CASE 2: the sixth attempt answers 429 with Retry-After, even with the right password.
     * CASE 3: after the window the right password works again.
     * CASE 4: a wrong one after the window locks for twice as long.
     */
    it('slows repeated failures: 429 after five, for a growing window', async () => {
      const clock = fakeClock();
      try {
        for (let i = 0; i < 5; i++) expect((await login('zhangsan', `wrong-${i}-password`)).status).to.equal(401);
        const refused = await login('zhangsan', user.password).expect(429);
        expect(refused.body.error.code).to.equal('TOO_MANY_ATTEMPTS');
        expect(refused.headers['retry-after']).to.equal('30');
        expect((await AuditModel.find({ action: 'auth.login.failed', 'details.reason': 'throttled' }).lean())).to.have.length(1);

        clock.advance(31_000);
        await login('zhangsan', 'still-wrong-password').expect(401);
        const longer = await login('zhangsan', user.password).expect(429);
        expect(longer.headers['retry-after']).to.equal('60');

        clock.advance(61_000);
        await login('zhangsan', user.password).expect(200);
      } finally {
        clock.restore();
      }
    });

    it('caps login requests per address with the rate limiter', async () => {
      let last = 0;
      for (let i = 0; i < 31; i++) {
        // Different unknown names, so only the per-address limits apply.
        last = (await request(app).post('/api/v1/auth/login').send({ username: 'x', password: '' })).status;
      }
      // Empty passwords are refused by validation before any scrypt work; the limiter still counts them.
      expect(last).to.equal(429);
    });
  });

  describe('tokens', () => {
    it('answers 401 without a token, with a malformed one and with an unknown one', async () => {
      for (const header of [undefined, 'Basic abc', 'Bearer', 'Bearer not a token', `Bearer ${'A'.repeat(43)}`]) {
        const req = request(app).get('/api/v1/me');
        const res = await (header ? req.set('Authorization', header) : req);
        expect(res.status, String(header)).to.equal(401);
        expect(res.body.error.code).to.equal('UNAUTHENTICATED');
      }
    });

    it('expires a token after the configured lifetime', async () => {
      const clock = fakeClock();
      try {
        const token = await tokenFor('county', [COUNTY]);
        clock.advance(tokenSettings.ttlMinutes * 60_000 - 1000);
        await me(token).expect(200);
        clock.advance(2000);
        const res = await me(token).expect(401);
        expect(res.body.error.code).to.equal('UNAUTHENTICATED');
      } finally {
        clock.restore();
      }
    });

    it('revokes the token on logout and only that one', async () => {
      const user = await userFor('county', [COUNTY]);
      const other = (await login(user.username, user.password).expect(200)).body.token as string;
      await request(app).post('/api/v1/auth/logout').set('Authorization', `Bearer ${user.token}`).expect(204);
      await me(user.token).expect(401);
      await me(other).expect(200);
      expect(await AuditModel.countDocuments({ action: 'auth.logout', username: user.username })).to.equal(1);
    });
  });

  describe('POST /auth/password', () => {
    const change = (token: string, body: object) => request(app).post('/api/v1/auth/password').set('Authorization', `Bearer ${token}`).send(body);

    it('changes the password and ends the other sessions, keeping this one', async () => {
      const user = await userFor('village', [VILLAGE]);
      const other = (await login(user.username, user.password).expect(200)).body.token as string;
      await change(user.token, { currentPassword: user.password, newPassword: 'a brand new passphrase' }).expect(204);
      await me(user.token).expect(200);
      await me(other).expect(401);
      await login(user.username, user.password).expect(401);
      await login(user.username, 'a brand new passphrase').expect(200);
      const entry = await AuditModel.findOne({ action: 'auth.password.change' }).lean();
      expect(entry?.username).to.equal(user.username);
      expect(JSON.stringify(entry)).not.to.include('brand new');
    });

    it('answers 400 WRONG_PASSWORD when the current password is wrong', async () => {
      const user = await userFor('village', [VILLAGE]);
      const res = await change(user.token, { currentPassword: 'not my password', newPassword: 'a brand new passphrase' }).expect(400);
      expect(res.body.error.code).to.equal('WRONG_PASSWORD');
      await login(user.username, user.password).expect(200);
    });

    it('refuses a new password shorter than 10 characters', async () => {
      const user = await userFor('village', [VILLAGE]);
      const res = await change(user.token, { currentPassword: user.password, newPassword: 'short' }).expect(400);
      expect(res.body.error.code).to.equal('VALIDATION_FAILED');
      expect(res.body.error.details[0].path).to.equal('newPassword');
    });

    it('needs a token', async () => {
      await request(app).post('/api/v1/auth/password').send({ currentPassword: 'x', newPassword: 'yyyyyyyyyyyy' }).expect(401);
    });
  });

  describe('GET /me', () => {
    it('answers the caller with role, regions and permissions, without the hash', async () => {
      const token = await tokenFor('auditor', [COUNTY], 'shenji');
      const res = await me(token).expect(200);
      expect(res.body).to.include({ username: 'shenji', role: 'auditor', disabled: false });
      expect(res.body.regionCodes).to.deep.equal([COUNTY]);
      expect(res.body.permissions).to.include('audit:read').and.not.include('household:write');
      expect(JSON.stringify(res.body)).not.to.match(/passwordHash|scrypt/);
    });
  });

  describe('POST /users', () => {
    const create = (token: string, body: object) => request(app).post('/api/v1/users').set('Authorization', `Bearer ${token}`).send(body);
    const body = { username: 'lisi', password: 'a long enough password', role: 'village', regionCodes: [VILLAGE] };

    it('lets an admin create a user who can then log in', async () => {
      const admin = await tokenFor('admin', ['000000000000']);
      const res = await create(admin, body).expect(201);
      expect(res.body).to.include({ username: 'lisi', role: 'village' });
      expect(res.body).not.to.have.property('passwordHash');
      await login('lisi', body.password).expect(200);
      const entry = await AuditModel.findOne({ action: 'user.create', entityId: 'lisi' }).lean();
      expect(entry).to.not.equal(null);
      expect(JSON.stringify(entry)).not.to.match(/scrypt|a long enough password/);
    });

    for (const [role, regions] of [['county', [COUNTY]], ['village', [VILLAGE]], ['auditor', [COUNTY]]] as const) {
      it(`answers 403 to a ${role} user and creates nothing`, async () => {
        const token = await tokenFor(role, [...regions]);
        const res = await create(token, body).expect(403);
        expect(res.body.error.code).to.equal('FORBIDDEN');
        expect(await UserModel.countDocuments({ username: 'lisi' })).to.equal(0);
      });
    }

    it('answers 401 without a token', async () => {
      await request(app).post('/api/v1/users').send(body).expect(401);
    });

    it('answers 409 for a username taken, whatever its case', async () => {
      const admin = await tokenFor('admin', ['000000000000']);
      await create(admin, body).expect(201);
      const res = await create(admin, { ...body, username: 'LiSi' }).expect(409);
      expect(res.body.error.code).to.equal('USERNAME_TAKEN');
    });

    /*
     * CASE 1: a region code that is not 12 digits.
     * CASE 2: a village user given a county code.
     * CASE 3: an unknown role.
     * CASE 4: a password under 10 characters.
     * CASE 5: no region at all.
     */
    it('refuses bad regions, roles and passwords with 400', async () => {
      const admin = await tokenFor('admin', ['000000000000']);
      for (const bad of [
        { ...body, regionCodes: ['4211'] },
        { ...body, regionCodes: [COUNTY] },
        { ...body, role: 'superuser' },
        { ...body, password: 'short' },
        { ...body, regionCodes: [] },
      ]) {
        const res = await create(admin, bad);
        expect(res.status, JSON.stringify(bad)).to.equal(400);
        expect(res.body.error.code).to.equal('VALIDATION_FAILED');
      }
      expect(await UserModel.countDocuments({ username: 'lisi' })).to.equal(0);
    });
  });

  describe('GET /users and PATCH /users/:username', () => {
    it('lists users for an admin, without hashes, and refuses others', async () => {
      const admin = await tokenFor('admin', ['000000000000'], 'root');
      const county = await tokenFor('county', [COUNTY], 'xian');
      const res = await request(app).get('/api/v1/users?role=county').set('Authorization', `Bearer ${admin}`).expect(200);
      expect(res.body).to.include({ total: 1, page: 1 });
      expect(res.body.items.map((u: { username: string }) => u.username)).to.deep.equal(['xian']);
      expect(JSON.stringify(res.body)).not.to.include('scrypt');
      await request(app).get('/api/v1/users').set('Authorization', `Bearer ${county}`).expect(403);
    });

    it('applies a new role and regions to the user\'s next request', async () => {
      const admin = await tokenFor('admin', ['000000000000'], 'root');
      const user = await userFor('village', [VILLAGE], 'cunguan');
      await request(app).patch('/api/v1/users/cunguan').set('Authorization', `Bearer ${admin}`).send({ role: 'county', regionCodes: [COUNTY] }).expect(200);
      const res = await me(user.token).expect(200);
      expect(res.body).to.include({ role: 'county' });
      expect(res.body.regionCodes).to.deep.equal([COUNTY]);
      const entry = await AuditModel.findOne({ action: 'user.update', entityId: 'cunguan' }).lean();
      expect((entry?.before as { role: string }).role).to.equal('village');
      expect((entry?.after as { role: string }).role).to.equal('county');
    });

    it('ends the sessions of a disabled user and keeps them out', async () => {
      const admin = await tokenFor('admin', ['000000000000'], 'root');
      const user = await userFor('village', [VILLAGE], 'cunguan');
      await request(app).patch('/api/v1/users/cunguan').set('Authorization', `Bearer ${admin}`).send({ disabled: true }).expect(200);
      await me(user.token).expect(401);
      await login('cunguan', user.password).expect(401);
    });

    it('lets an admin reset a password, ending the user\'s sessions', async () => {
      const admin = await tokenFor('admin', ['000000000000'], 'root');
      const user = await userFor('village', [VILLAGE], 'cunguan');
      await request(app).patch('/api/v1/users/cunguan').set('Authorization', `Bearer ${admin}`).send({ password: 'reset by the admin' }).expect(200);
      await me(user.token).expect(401);
      await login('cunguan', 'reset by the admin').expect(200);
    });

    it('refuses to disable or demote the last enabled admin', async () => {
      const admin = await tokenFor('admin', ['000000000000'], 'root');
      const res = await request(app).patch('/api/v1/users/root').set('Authorization', `Bearer ${admin}`).send({ disabled: true }).expect(409);
      expect(res.body.error.code).to.equal('CONFLICT');
      await request(app).patch('/api/v1/users/root').set('Authorization', `Bearer ${admin}`).send({ role: 'county', regionCodes: [COUNTY] }).expect(409);
      await me(admin).expect(200);
    });

    it('refuses a village role over a county code, an unknown user and a non-admin', async () => {
      const admin = await tokenFor('admin', ['000000000000'], 'root');
      await userFor('county', [COUNTY], 'xian');
      await request(app).patch('/api/v1/users/xian').set('Authorization', `Bearer ${admin}`).send({ role: 'village' }).expect(400);
      await request(app).patch('/api/v1/users/nobody').set('Authorization', `Bearer ${admin}`).send({ disabled: true }).expect(404);
      const county = await tokenFor('county', [COUNTY]);
      await request(app).patch('/api/v1/users/xian').set('Authorization', `Bearer ${county}`).send({ disabled: true }).expect(403);
      await request(app).patch('/api/v1/users/xian').set('Authorization', `Bearer ${admin}`).send({ passwordHash: 'x' }).expect(400);
    });
  });
});
