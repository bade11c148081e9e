import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, describeConfigKeys, loadConfig } from '../../src/config';

describe('config', () => {
  it('has working defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c).to.include({ port: 3000, host: '127.0.0.1', dataDir: './data', engineCacheMb: 64, logLevel: 'info', bodyLimit: '1mb', rulesDir: './rules' });
    expect(c.mongodbUri).to.equal(undefined);
  });

  it('reads and converts values', () => {
    const c = loadConfig({ PORT: '8080', MONGODB_URI: 'mongodb://db.example:27017/fupin', IMPORT_MAX_ROWS: '1000', LOG_LEVEL: 'warn', ENGINE_CACHE_MB: '256' });
    expect(c).to.include({ port: 8080, mongodbUri: 'mongodb://db.example:27017/fupin', importMaxRows: 1000, logLevel: 'warn', engineCacheMb: 256 });
  });

  it('treats an empty MONGODB_URI (as copied from .env.example) as unset', () => {
    expect(loadConfig({ MONGODB_URI: '' }).mongodbUri).to.equal(undefined);
  });

  it('fails fast with a message naming every bad key', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', MONGODB_URI: 'http://x', ENGINE_CACHE_MB: '0' });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(ConfigError);
    const message = (error as Error).message;
    for (const key of ['PORT', 'LOG_LEVEL', 'MONGODB_URI', 'ENGINE_CACHE_MB']) expect(message).to.include(key);
  });

  it('.env.example documents every key with the same description', () => {
    const example = fs.readFileSync(path.join(__dirname, '..', '..', '.env.example'), 'utf8');
    for (const [key, description] of Object.entries(describeConfigKeys())) {
      expect(example, key).to.match(new RegExp(`^${key}=`, 'm'));
      expect(example, key).to.include(`# ${description}\n${key}=`);
    }
  });
});
