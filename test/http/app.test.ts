import { expect } from 'chai';
import mongoose from 'mongoose';
import request from 'supertest';
import { createApp } from '../../src/app';
import { toErrorResponse } from '../../src/http/error.middleware';
import { AppError, errorCatalogue } from '../../src/http/errors';
import { createLogger, maskIdSequences } from '../../src/http/request-logger';
import { Writable } from 'node:stream';

describe('app shell', () => {
  const app = createApp();

  it('GET /health answers while the process is up', async () => {
    const res = await request(app).get('/health');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'ok' });
  });

  it('GET /ready pings the database', async () => {
    const res = await request(app).get('/ready');
    expect(res.status).to.equal(200);
  });

  it('answers 404 NOT_FOUND for unknown routes, with the error envelope', async () => {
    const res = await request(app).get('/nowhere');
    expect(res.status).to.equal(404);
    expect(res.body).to.deep.equal({ error: { code: 'NOT_FOUND', message: errorCatalogue.NOT_FOUND.message, details: null } });
  });

  it('sets helmet\'s headers and no CORS header', async () => {
    const res = await request(app).get('/health').set('Origin', 'https://evil.example');
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers).to.not.have.property('access-control-allow-origin');
    expect(res.headers).to.not.have.property('x-powered-by');
  });

  it('honours a smaller body limit with 413', async () => {
    const small = createApp({ bodyLimit: '1kb' });
    const res = await request(small).post('/api/v1/auth/login').send({ username: 'x'.repeat(2000), password: 'y' });
    expect(res.status).to.equal(413);
    expect(res.body.error.code).to.equal('PAYLOAD_TOO_LARGE');
  });
});

describe('error mapping', () => {
  it('maps AppError to its catalogue status', () => {
    const { status, body } = toErrorResponse(new AppError('VERSION_CONFLICT'));
    expect(status).to.equal(409);
    expect(body.error.code).to.equal('VERSION_CONFLICT');
  });

  it('maps Mongoose validation, cast and strict-mode errors to 400 without values', () => {
    const Tmp = mongoose.models.ErrMapTmp ?? mongoose.model('ErrMapTmp', new mongoose.Schema({ n: { type: Number, required: true } }, { strict: 'throw' }));
    const validation = new Tmp({}).validateSync() as mongoose.Error.ValidationError;
    expect(toErrorResponse(validation).status).to.equal(400);
    const cast = new mongoose.Error.CastError('Number', 'abc', 'n');
    expect(toErrorResponse(cast)).to.deep.include({ status: 400 });
    expect(JSON.stringify(toErrorResponse(cast).body)).to.not.include('abc');
  });

  it('maps a duplicate key to 409 naming the fields but never the value', () => {
    const dup = Object.assign(new Error('E11000 duplicate key error collection: test.households index: members.personId_1 dup key: { members.personId: "11010519491231002X" }'), { code: 11000, keyPattern: { 'members.personId': 1 }, keyValue: { 'members.personId': '11010519491231002X' } });
    const { status, body } = toErrorResponse(dup);
    expect(status).to.equal(409);
    expect(JSON.stringify(body)).to.not.include('11010519491231002X');
  });

  it('maps an unknown error to 500 INTERNAL without its message or stack', () => {
    const { status, body } = toErrorResponse(new Error('secret filter { idNumber: "x" }'));
    expect(status).to.equal(500);
    expect(body.error.code).to.equal('INTERNAL');
    expect(JSON.stringify(body)).to.not.include('secret');
  });

  it('maps driver unavailability to 503', () => {
    const err = new Error('connection refused');
    err.name = 'MongoServerSelectionError';
    expect(toErrorResponse(err).status).to.equal(503);
  });
});

describe('request logging', () => {
  it('masks anything shaped like an ID number, and leaves household codes readable', () => {
    expect(maskIdSequences('/api/v1/households?q=11010519491231002X')).to.equal('/api/v1/households?q=110105********002X');
    expect(maskIdSequences('dup key: { members.personId: "44052418800101001421" }')).to.include('440524********001421');
    expect(maskIdSequences('/api/v1/households/421122001001000123')).to.equal('/api/v1/households/421122001001000123');
  });

  it('never writes a full ID number, in the message, in logged objects or in errors', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const log = createLogger('info', sink);
    log.info({ path: '/api/v1/households?q=11010519491231002X', nested: { ids: ['44052418800101001421'] } }, 'request');
    log.info('looked up %s', '11010519491231002X');
    log.error({ err: new Error('E11000 dup key: { members.personId: "11010519491231002X" }') }, 'request failed');
    const out = lines.join('');
    expect(lines).to.have.length(3);
    expect(out).to.not.include('11010519491231002X');
    expect(out).to.not.include('44052418800101001421');
    expect(out).to.include('110105********002X');
  });
});
