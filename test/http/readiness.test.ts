/**
 * Database outage and recovery (SECURITY.md "Faults"). The default Mongoose connection is routed
 * through a TCP relay for this file only; closing the relay is a real outage as the driver sees
 * it (sockets reset, connections refused), and reopening it on the same port is the database
 * coming back. The original connection is restored afterwards.
 */
import net, { type AddressInfo } from 'node:net';
import { expect } from 'chai';
import mongoose from 'mongoose';
import request from 'supertest';
import { createApp } from '../../src/app';
import { testDatabaseUri } from '../helpers/db';

class Relay {
  private server: net.Server | undefined;
  private sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(port = 0): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

async function until(check: () => Promise<boolean>, ms: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met within ${ms} ms`);
}

describe('database outage', function () {
  this.timeout(60_000);
  const app = createApp();
  let relay: Relay;
  let originalUri: string;

  before(async () => {
    originalUri = testDatabaseUri();
    const target = new URL(originalUri);
    relay = new Relay({ host: target.hostname, port: Number(target.port) });
    await relay.open();
    const viaRelay = new URL(originalUri);
    viaRelay.port = String(relay.port);
    await mongoose.disconnect();
    await mongoose.connect(viaRelay.toString(), { serverSelectionTimeoutMS: 2000 });
  });

  after(async () => {
    await mongoose.disconnect();
    await relay.close();
    await mongoose.connect(originalUri, { serverSelectionTimeoutMS: 2000 });
  });

  it('answers /ready 200 while the database is up', async () => {
    const res = await request(app).get('/ready');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'ready' });
  });

  it('answers 503 DATABASE_UNAVAILABLE within about 2 s when the database goes away, and recovers by itself', async () => {
    const port = relay.port;
    await relay.close();

    // CASE 1: an API call during the outage is refused quickly, not left hanging.
    const t0 = Date.now();
    const api = await request(app).get('/api/v1/households');
    expect(Date.now() - t0).to.be.below(2500);
    expect(api.status).to.equal(503);
    expect(api.body.error.code).to.equal('DATABASE_UNAVAILABLE');

    // CASE 2: /ready says so too, and /health (the process) stays up.
    const t1 = Date.now();
    const ready = await request(app).get('/ready');
    expect(Date.now() - t1).to.be.below(2500);
    expect(ready.status).to.equal(503);
    expect((await request(app).get('/health')).status).to.equal(200);

    // CASE 3: once the database is back, the same app serves again without a restart.
    await relay.open(port);
    const ms = await until(async () => (await request(app).get('/ready')).status === 200, 15_000);
    expect(ms).to.be.below(15_000);
    const back = await request(app).get('/api/v1/households');
    expect(back.status).to.equal(401); // reached authentication: the database gate is open again
  });
});
