/**
 * Starts the service: config → database → indexes → bootstrap → listen; shuts down gracefully on
 * SIGTERM / SIGINT (stop accepting, let in-flight requests finish, close the database, exit 0).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import mongoose from 'mongoose';
import { createApp } from './app';
import { config } from './config';
import { connect } from './db/connect';
import { loadRuleSets } from './eligibility/ruleset.loader';
import { failInterruptedRuns } from './eligibility/run.service';
import { logger } from './http/request-logger';
import { ensureAdmin } from './users/bootstrap';

/** How long in-flight requests get to finish once a shutdown starts. */
const SHUTDOWN_GRACE_MS = 10_000;

export async function main(): Promise<{ url: string }> {
  // Rule and parameter files are validated before anything else: a bad file refuses the start.
  loadRuleSets(config.rulesDir);
  const db = await connect({ mongodbUri: config.mongodbUri, dataDir: config.dataDir, documentCacheBytes: config.engineCacheMb * 1024 ** 2 });
  const app = createApp();
  // Every model is registered once the app is built: create their indexes before serving.
  await Promise.all(mongoose.modelNames().map((name) => mongoose.model(name).init()));

  // ---- bootstrap (first administrator, …) goes here, before listening
  await ensureAdmin();
  await failInterruptedRuns();

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  process.stdout.write(`fupin-registry listening on http://${host}:${port} (database: ${db.embedded ? `embedded, ${config.dataDir}` : 'MONGODB_URI'})\n`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    force.unref();
    server.close(async () => {
      clearTimeout(force);
      try {
        await db.close();
        process.exit(0);
      } catch (err) {
        logger.error({ err }, 'closing the database failed');
        process.exit(1);
      }
    });
    // Keep-alive connections with no request in flight would hold close() open.
    server.closeIdleConnections();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return { url: `http://${host}:${port}` };
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`fupin-registry failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
