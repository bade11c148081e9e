/**
 * Access by role to eligibility, imports and exports (issue 4): allowed, refused (403), and
 * nothing outside the caller's region (404); exports masked by role and logged with their
 * filter and row count; runs logged.
 */
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/app';
import { AuditModel } from '../../src/audit/audit.model';
import { HouseholdModel } from '../../src/registry/household.model';
import { createHousehold } from '../../src/registry/household.service';
import type { StoredHousehold } from '../../src/registry/household.types';
import { systemActor, type Role } from '../../src/users/actor';
import { resetLoginLimits, tokenFor } from '../helpers/auth';
import { binary } from '../helpers/binary';
import { buildHousehold } from '../helpers/builders';
import { resetDatabase } from '../helpers/db';

const COUNTY_A = '421122000000';
const A1 = '421122001001';
const COUNTY_B = '421123000000';
const B1 = '421123001001';
const AS_OF = '2024-06-30';

type Who = 'admin' | 'countyA' | 'villageA1' | 'auditorA' | 'countyB';
const users: Record<Who, [Role, string[]]> = {
  admin: ['admin', ['000000000000']],
  countyA: ['county', [COUNTY_A]],
  villageA1: ['village', [A1]],
  auditorA: ['auditor', [COUNTY_A]],
  countyB: ['county', [COUNTY_B]],
};

describe('access to eligibility, imports and exports by role and region', () => {
  let app: Express;
  const tokens = {} as Record<Who, string>;
  let hA1: StoredHousehold;
  let hB1: StoredHousehold;

  before(async () => {
    app = createApp();
    await resetDatabase();
    await resetLoginLimits();
    for (const who of Object.keys(users) as Who[]) tokens[who] = await tokenFor(...users[who]);
    await HouseholdModel.deleteMany({});
    hA1 = await createHousehold(systemActor, buildHousehold({ regionCode: A1 }));
    hB1 = await createHousehold(systemActor, buildHousehold({ regionCode: B1 }));
  });
  beforeEach(async () => {
    await AuditModel.deleteMany({});
  });

  const as = (who: Who | null) => {
    const auth = (r: request.Test) => (who ? r.set('Authorization', `Bearer ${tokens[who]}`) : r);
    return {
      get: (path: string) => auth(request(app).get(`/api/v1${path}`)),
      post: (path: string, body: object) => auth(request(app).post(`/api/v1${path}`)).send(body),
    };
  };

  describe('POST /eligibility/evaluate', () => {
    for (const who of ['admin', 'countyA', 'villageA1', 'auditorA'] as const) {
      it(`lets ${who} evaluate a household sent in the body`, async () => {
        const { code: _c, ...household } = buildHousehold({ regionCode: A1 });
        const res = await as(who).post('/eligibility/evaluate', { household: { code: 'X', ...household }, asOf: AS_OF });
        expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.equal(200);
        expect(res.body.categories).to.be.an('array');
      });
    }
    it('answers 401 without a token', async () => {
      await as(null).post('/eligibility/evaluate', { household: buildHousehold(), asOf: AS_OF }).expect(401);
    });
  });

  describe('GET /households/:code/eligibility', () => {
    const cases: Array<[Who, () => StoredHousehold, number]> = [
      ['villageA1', () => hA1, 200],
      ['auditorA', () => hA1, 200],
      ['countyA', () => hA1, 200],
      ['countyA', () => hB1, 404],
      ['villageA1', () => hB1, 404],
      ['auditorA', () => hB1, 404],
    ];
    for (const [who, household, status] of cases) {
      it(`answers ${status} to ${who} for a household ${status === 404 ? 'outside' : 'inside'} its region`, async () => {
        const res = await as(who).get(`/households/${household().code}/eligibility?asOf=${AS_OF}`);
        expect(res.status).to.equal(status);
      });
    }
  });

  describe('eligibility runs', () => {
    const cases: Array<[Who, string, number]> = [
      ['countyA', COUNTY_A, 202],
      ['auditorA', COUNTY_A, 202],
      ['admin', COUNTY_B, 202],
      ['villageA1', A1, 403],
      ['countyA', COUNTY_B, 404],
      ['auditorA', B1, 404],
    ];
    for (const [who, region, status] of cases) {
      it(`answers ${status} to ${who} starting a run over ${region}${status === 202 ? ', and logs it' : ''}`, async () => {
        const res = await as(who).post('/eligibility/runs', { regionCode: region, asOf: AS_OF });
        expect(res.status).to.equal(status);
        expect(await AuditModel.countDocuments({ action: 'eligibility.run', regionCode: region })).to.equal(status === 202 ? 1 : 0);
      });
    }

    it('hides a run over another region (404) and refuses a village cadre (403)', async () => {
      const { body } = await as('countyA').post('/eligibility/runs', { regionCode: COUNTY_A, asOf: AS_OF }).expect(202);
      await as('auditorA').get(`/eligibility/runs/${body.id}`).expect(200);
      await as('countyB').get(`/eligibility/runs/${body.id}`).expect(404);
      await as('countyB').get(`/eligibility/runs/${body.id}/results`).expect(404);
      await as('villageA1').get(`/eligibility/runs/${body.id}`).expect(403);
    });
  });

  describe('GET /eligibility/runs/:id/findings.xlsx', () => {
    it('lets an auditor export the findings of its region, logged; refuses a village cadre and hides it from another county', async () => {
      const { body } = await as('auditorA').post('/eligibility/runs', { regionCode: COUNTY_A, asOf: AS_OF }).expect(202);
      let status = '';
      for (let i = 0; i < 100 && status !== 'done' && status !== 'failed'; i++) {
        status = (await as('auditorA').get(`/eligibility/runs/${body.id}`).expect(200)).body.status;
        if (status !== 'done') await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).to.equal('done');
      const res = await as('auditorA').get(`/eligibility/runs/${body.id}/findings.xlsx`).buffer(true).parse(binary);
      expect(res.status).to.equal(200);
      expect((res.body as Buffer).subarray(0, 2).toString()).to.equal('PK');
      const entry = await AuditModel.findOne({ action: 'export', entity: 'findings', entityId: body.id }).lean();
      expect(entry).to.include({ role: 'auditor', regionCode: COUNTY_A });
      expect(entry?.details).to.have.property('rows');
      await as('villageA1').get(`/eligibility/runs/${body.id}/findings.xlsx`).expect(403);
      await as('countyB').get(`/eligibility/runs/${body.id}/findings.xlsx`).expect(404);
    });
  });

  describe('POST /imports', () => {
    for (const who of ['villageA1', 'auditorA'] as const) {
      it(`refuses ${who} (403)`, async () => {
        const res = await as(who).post('/imports', {});
        expect(res.status).to.equal(403);
      });
    }
    it('lets county staff through to the upload checks', async () => {
      const res = await as('countyA').post('/imports', {});
      expect(res.status).not.to.be.oneOf([401, 403]);
    });
    it('answers 401 without a token', async () => {
      await as(null).post('/imports', {}).expect(401);
    });

    /*
     * The sample ledger covers 青山县 (421199) with three townships; the importer's region is one
     * township. CASE 1: rows of that township are written, each household with its audit entry.
     * CASE 2: rows elsewhere are refused with a row error, and nothing of them is written.
     * CASE 3: the import itself is logged once. CASE 4: under the importer's region.
     */
    it('imports the rows inside the importer\'s region and refuses the others with a row error', async function () {
      this.timeout(120_000);
      const samples = path.join(__dirname, '../../imports/samples');
      await as('admin').get('/me').expect(200);
      await request(app).post('/api/v1/regions/import').set('Authorization', `Bearer ${tokens.admin}`)
        .attach('file', path.join(samples, 'regions.csv')).expect(200);
      const township = await tokenFor('county', ['421199001000']);
      const started = await request(app).post('/api/v1/imports').set('Authorization', `Bearer ${township}`)
        .field('layout', 'national-member-detail').attach('file', path.join(samples, 'county-ledger.national-member-detail.xlsx'));
      expect(started.status, JSON.stringify(started.body).slice(0, 300)).to.be.oneOf([200, 202]);
      let job = started.body;
      for (let i = 0; i < 600 && job.status !== 'done' && job.status !== 'failed'; i++) {
        await new Promise((r) => setTimeout(r, 200));
        job = (await request(app).get(`/api/v1/imports/${job.id}`).set('Authorization', `Bearer ${township}`).expect(200)).body;
      }
      expect(job.status).to.equal('done');
      const outside = (job.errors as Array<{ code: string }>).filter((e) => e.code === 'REGION_OUT_OF_SCOPE');
      expect(outside.length).to.be.greaterThan(0);
      const written = await HouseholdModel.find({ regionCode: { $regex: '^421199' } }, { code: 1, regionCode: 1 }).lean();
      expect(written.length).to.be.greaterThan(0);
      expect(written.every((h) => String(h.regionCode).startsWith('421199001'))).to.equal(true);
      const created = await AuditModel.find({ action: 'household.create', regionCode: { $regex: '^421199' } }, { entityId: 1 }).lean();
      expect(created.map((e) => e.entityId).sort()).to.deep.equal(written.map((h) => h.code).sort());
      expect(await AuditModel.countDocuments({ action: 'import', entityId: job.id })).to.equal(1);
      // CASE 4: the import is logged under the importer's region, so that region's auditor sees it.
      const auditor = await tokenFor('auditor', ['421199000000']);
      const trail = await request(app).get('/api/v1/audit?action=import').set('Authorization', `Bearer ${auditor}`).expect(200);
      expect(trail.body.items.map((e: { entityId: string }) => e.entityId)).to.deep.equal([job.id]);
    });
  });

  describe('GET /exports/ledger.csv', () => {
    it('exports the county\'s households, masked, and logs the filter and row count', async () => {
      const res = await as('countyA').get(`/exports/ledger.csv?regionCode=${COUNTY_A}`).buffer(true).parse((r, cb) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => { text += c; });
        r.on('end', () => cb(null, text));
      });
      expect(res.status).to.equal(200);
      const csv = res.body as string;
      expect(csv).to.include(hA1.code);
      expect(csv).not.to.include(hB1.code);
      expect(csv).not.to.include(hA1.members[0].idNumber);
      expect(csv).to.include(`${hA1.members[0].idNumber.slice(0, 6)}********${hA1.members[0].idNumber.slice(14)}`);
      const entry = await AuditModel.findOne({ action: 'export' }).lean();
      expect(entry).to.include({ username: (await as('countyA').get('/me')).body.username, regionCode: COUNTY_A });
      expect((entry?.details as { filter: { regionCode: string } }).filter.regionCode).to.equal(COUNTY_A);
      expect((entry?.details as { rows: number }).rows).to.be.greaterThan(0);
    });

    it('answers 404 for a region outside the caller\'s, and logs nothing', async () => {
      const res = await as('countyA').get(`/exports/ledger.csv?regionCode=${COUNTY_B}`);
      expect(res.status).to.equal(404);
      expect(await AuditModel.countDocuments({ action: 'export' })).to.equal(0);
    });

    for (const who of ['villageA1', 'auditorA'] as const) {
      it(`refuses ${who} (403)`, async () => {
        await as(who).get('/exports/ledger.csv').expect(403);
      });
    }
  });
});
