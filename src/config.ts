/**
 * The environment, validated once at start-up (STYLE.md 10). A bad value stops the process with
 * a message that names the key; `.env.example` lists the same keys with the same descriptions.
 */
import Joi from 'joi';

export interface Config {
  port: number;
  host: string;
  mongodbUri: string | undefined;
  dataDir: string;
  engineCacheMb: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  bodyLimit: string;
  tokenTtlMinutes: number;
  adminUsername: string;
  adminPassword: string | undefined;
  importMaxBytes: number;
  importMaxRows: number;
  rulesDir: string;
  trustProxy: number;
}

/** One entry per key: its Joi rule and the description shared with `.env.example`. */
const keys = {
  PORT: Joi.number().integer().min(0).max(65535).default(3000)
    .description('TCP port the HTTP server listens on (0 picks a free port).'),
  HOST: Joi.string().hostname().default('127.0.0.1')
    .description('Interface to listen on; keep 127.0.0.1 behind a reverse proxy.'),
  MONGODB_URI: Joi.string().uri({ scheme: ['mongodb', 'mongodb+srv'] }).empty('')
    .description('A real MongoDB (replica set or sharded cluster). Unset: the embedded engine on DATA_DIR.'),
  DATA_DIR: Joi.string().default('./data')
    .description('Folder where the embedded engine keeps its SQLite files (only when MONGODB_URI is unset).'),
  ENGINE_CACHE_MB: Joi.number().integer().min(1).max(16384).default(64)
    .description('Memory the embedded engine may use to cache stored documents, in MB (only when MONGODB_URI is unset).'),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info')
    .description('pino log level.'),
  BODY_LIMIT: Joi.string().pattern(/^\d+(b|kb|mb)$/i).default('1mb')
    .description('Largest JSON request body (e.g. 1mb); larger bodies answer 413.'),
  TOKEN_TTL_MINUTES: Joi.number().integer().min(1).max(24 * 60).default(480)
    .description('Lifetime of a login token, in minutes.'),
  ADMIN_USERNAME: Joi.string().min(3).max(64).default('admin')
    .description('Username of the first administrator, created at start-up when no user exists.'),
  ADMIN_PASSWORD: Joi.string().min(12).max(256).empty('')
    .description('Password of that first administrator (at least 12 characters); unset: a generated password is printed once to the console.'),
  IMPORT_MAX_BYTES: Joi.number().integer().min(1024).default(50 * 1024 * 1024)
    .description('Largest Excel/CSV upload, in bytes.'),
  IMPORT_MAX_ROWS: Joi.number().integer().min(1).default(500_000)
    .description('Most data rows read from one uploaded sheet.'),
  RULES_DIR: Joi.string().default('./rules')
    .description('Folder holding the rule sets and dated parameters.'),
  TRUST_PROXY: Joi.number().integer().min(0).max(10).default(0)
    .description('Reverse proxies in front of the service (0: none). Set it behind nginx so login slowing counts each client, not the proxy.'),
} as const;

const envSchema = Joi.object(keys).unknown(true);

export class ConfigError extends Error {}

/** Validates `env`; throws ConfigError naming every bad key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { value, error } = envSchema.validate(env, { abortEarly: false, convert: true });
  if (error) {
    const lines = error.details.map((d) => `${String(d.path[0])}: ${d.message}`);
    throw new ConfigError(`Invalid environment:\n  ${lines.join('\n  ')}`);
  }
  return {
    port: value.PORT,
    host: value.HOST,
    mongodbUri: value.MONGODB_URI,
    dataDir: value.DATA_DIR,
    engineCacheMb: value.ENGINE_CACHE_MB,
    logLevel: value.LOG_LEVEL,
    bodyLimit: value.BODY_LIMIT,
    tokenTtlMinutes: value.TOKEN_TTL_MINUTES,
    adminUsername: value.ADMIN_USERNAME,
    adminPassword: value.ADMIN_PASSWORD,
    importMaxBytes: value.IMPORT_MAX_BYTES,
    importMaxRows: value.IMPORT_MAX_ROWS,
    rulesDir: value.RULES_DIR,
    trustProxy: value.TRUST_PROXY,
  };
}

/** Key → description, for `.env.example` and its test. */
export function describeConfigKeys(): Record<string, string> {
  return Object.fromEntries(Object.entries(keys).map(([k, rule]) => [k, (rule.describe().flags as { description?: string } | undefined)?.description ?? '']));
}

function loadOrExit(): Config {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

export const config: Config = loadOrExit();
