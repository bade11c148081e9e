// `npm run db -- --data-dir DIR --port PORT`: serve the embedded engine on its own so that
// mongosh, Compass or another program can use it. Stops cleanly on SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { startEmbeddedMongo } from './index';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string', default: process.env.DATA_DIR ?? './data' },
      port: { type: 'string', default: '27017' },
      host: { type: 'string', default: '127.0.0.1' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run db -- [--data-dir DIR] [--port PORT (0 = any free port)] [--host 127.0.0.1]\n');
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${values.port}`);
  const engine = await startEmbeddedMongo({ dataDir: values['data-dir']!, port, host: values.host });
  process.stdout.write(`embedded MongoDB engine serving ${values['data-dir']} at ${engine.uri}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping\n`);
    engine.close().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`error while stopping: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
