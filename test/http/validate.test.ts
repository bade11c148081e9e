/**
 * The validation middleware on a small app of its own: what reaches a handler is the validated
 * copy in res.locals, never req.
 */
import express from 'express';
import Joi from 'joi';
import { expect } from 'chai';
import request from 'supertest';
import { errorMiddleware } from '../../src/http/error.middleware';
import { validate } from '../../src/http/validate';

function appWith(schemas: Parameters<typeof validate>[0]) {
  const app = express();
  app.set('query parser', 'simple');
  app.use(express.json());
  app.all('/t/:id', validate(schemas), (req, res) => {
    res.json({ locals: { params: res.locals.params, query: res.locals.query, body: res.locals.body }, rawQuery: req.query });
  });
  app.use(errorMiddleware);
  return app;
}

describe('validate()', () => {
  const schemas = {
    params: Joi.object({ id: Joi.string().pattern(/^\d+$/) }),
    query: Joi.object({ page: Joi.number().integer().default(1), tags: Joi.array().items(Joi.string()).single(), name: Joi.string() }),
    body: Joi.object({ a: Joi.number(), b: Joi.object({ c: Joi.string() }) }),
  };
  const app = appWith(schemas);

  it('puts converted values and defaults in res.locals and leaves req alone', async () => {
    const res = await request(app).post('/t/42?name=x').send({ a: '5' });
    expect(res.status).to.equal(200);
    expect(res.body.locals).to.deep.equal({ params: { id: '42' }, query: { page: 1, name: 'x' }, body: { a: 5 } });
    expect(res.body.rawQuery).to.deep.equal({ name: 'x' });
  });

  it('reports every problem (abortEarly off) with the field path', async () => {
    const res = await request(app).post('/t/abc?page=x&extra=1').send({ a: 'y', z: 1 });
    expect(res.status).to.equal(400);
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).to.include.members(['params.id', 'query.page', 'query.extra', 'a', 'z']);
  });

  it('accepts a repeated key only where the schema declares a list', async () => {
    expect((await request(app).get('/t/1?tags=a&tags=b')).body.locals.query.tags).to.deep.equal(['a', 'b']);
    const res = await request(app).get('/t/1?name=a&name=b');
    expect(res.status).to.equal(400);
    expect(res.body.error.details[0]).to.include({ path: 'query.name', code: 'repeated' });
  });

  it('never builds nested objects from brackets in a query string', async () => {
    const res = await request(app).get('/t/1?name[$ne]=x');
    expect(res.status).to.equal(400);
    expect(res.body.error.details[0].path).to.equal('query.name[$ne]');
  });

  it('refuses operator keys and prototype keys at any depth', async () => {
    const op = await request(app).post('/t/1').send({ b: { $gt: '' } });
    expect(op.body.error.details[0]).to.include({ path: 'b.$gt', code: 'operator' });
    const proto = await request(app).post('/t/1').set('Content-Type', 'application/json').send('{"b":{"constructor":{"prototype":{"x":1}}}}');
    expect(proto.body.error.details[0]).to.include({ path: 'b.constructor', code: 'prototype' });
    expect(({} as Record<string, unknown>).x).to.equal(undefined);
  });

  it('refuses a body on a route that declares none', async () => {
    const bare = appWith({});
    expect((await request(bare).post('/t/1').send({ a: 1 })).status).to.equal(400);
    expect((await request(bare).post('/t/1')).status).to.equal(200);
    expect((await request(bare).get('/t/1?x=1')).status).to.equal(400);
  });
});
