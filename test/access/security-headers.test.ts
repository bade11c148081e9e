import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../src/app';

describe('security headers and CORS', () => {
  const app = createApp();

  it('sends helmet\'s headers and no X-Powered-By', async () => {
    const res = await request(app).get('/health').expect(200);
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['x-frame-options']).to.equal('SAMEORIGIN');
    expect(res.headers['content-security-policy']).to.include("default-src 'self'");
    expect(res.headers['strict-transport-security']).to.match(/max-age=\d+/);
    expect(res.headers['referrer-policy']).to.equal('no-referrer');
    expect(res.headers).not.to.have.property('x-powered-by');
  });

  it('grants no cross-origin access, to a simple request or a preflight', async () => {
    const simple = await request(app).post('/api/v1/auth/login').set('Origin', 'https://evil.example').send({ username: 'a', password: 'b' });
    expect(simple.headers).not.to.have.property('access-control-allow-origin');
    expect(simple.headers).not.to.have.property('access-control-allow-credentials');
    const preflight = await request(app).options('/api/v1/households')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'DELETE')
      .set('Access-Control-Request-Headers', 'authorization');
    expect(preflight.headers).not.to.have.property('access-control-allow-origin');
    expect(preflight.headers).not.to.have.property('access-control-allow-methods');
  });
});
