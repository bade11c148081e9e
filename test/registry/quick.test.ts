import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../src/app';
import { resetDatabase } from '../helpers/db';
import { tokenFor } from '../helpers/auth';
import { buildHousehold } from '../helpers/builders';

describe('quick', () => {
  it('works', async () => {
    await resetDatabase();
    const app = createApp();
    const token = await tokenFor('county', ['421122000000']);
    const h = buildHousehold();
    const r = await request(app).post('/api/v1/households').set('Authorization', `Bearer ${token}`).send(h);
    console.log(r.status, JSON.stringify(r.body).slice(0, 3000));
    const l = await request(app).get('/api/v1/households?q=张').set('Authorization', `Bearer ${token}`);
    console.log(l.status, JSON.stringify(l.body).slice(0, 500));
    const p = await request(app).patch(`/api/v1/households/${h.code}`).set('Authorization', `Bearer ${token}`).send({ version: 1, dibao: true });
    console.log(p.status, JSON.stringify(p.body).slice(0, 300));
    const c = await request(app).get(`/api/v1/households/${h.code}/changes`).set('Authorization', `Bearer ${token}`);
    console.log(c.status, JSON.stringify(c.body).slice(0, 300));
    expect(r.status).to.equal(201);
  });
});
