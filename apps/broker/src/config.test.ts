import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { API_PUBLIC_KEY } from '../test/support/broker.js';

const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x', API_JWT_PUBLIC_KEY: API_PUBLIC_KEY };

function problems(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('loadConfig accepted a bad environment');
}

describe('loadConfig', () => {
  it('fills in the defaults of README "Configuration"', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      redisUrl: 'redis://127.0.0.1:6379',
      leaseMs: 60000,
      maxAttempts: 5,
      keyRotationGraceSeconds: 3600,
      buildRetentionSeconds: 172800,
      logLevel: 'info',
    });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['LEASE_MS', '-5'],
    ['MAX_ATTEMPTS', '0'],
    ['KEY_ROTATION_GRACE_SECONDS', '1h'],
    ['BUILD_RETENTION_SECONDS', '10'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'not a url'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['API_JWT_PUBLIC_KEY', '/no/such/file.pem'],
    ['API_JWT_PUBLIC_KEY', '-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----'],
    ['DB_POOL_MAX', '0'],
  ])('throws a message naming %s for %j', (name, value) => {
    expect(problems({ [name]: value })).toContain(name);
  });

  it('requires DATABASE_URL and API_JWT_PUBLIC_KEY, and lists every problem at once', () => {
    let message = '';
    try {
      loadConfig({ PORT: 'x' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('DATABASE_URL is required');
    expect(message).toContain('API_JWT_PUBLIC_KEY is required');
    expect(message).toContain('PORT');
  });

  it('reads API_JWT_PUBLIC_KEY from a file path, and PEM text with literal \\n', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bcb-config-'));
    const file = join(dir, 'api.pub.pem');
    writeFileSync(file, API_PUBLIC_KEY);
    expect(loadConfig({ ...base, API_JWT_PUBLIC_KEY: file }).apiJwtPublicKey).toBe(API_PUBLIC_KEY);
    const escaped = API_PUBLIC_KEY.replace(/\n/g, '\\n');
    expect(loadConfig({ ...base, API_JWT_PUBLIC_KEY: escaped }).apiJwtPublicKey).toBe(API_PUBLIC_KEY);
  });
});

describe('Screwdriver settings', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

  it('has no queue key, a 60 s timeout buffer, positions every 5 s and nothing ignored by default', () => {
    expect(loadConfig(base)).toMatchObject({
      queueJwtPrivateKey: null,
      buildTimeoutBufferSeconds: 60,
      positionUpdateSeconds: 5,
      ignoredQueueFeatures: [],
    });
  });

  it('reads QUEUE_JWT_PRIVATE_KEY as PEM text or from a file', () => {
    const text = pem(rsa.privateKey);
    expect(loadConfig({ ...base, QUEUE_JWT_PRIVATE_KEY: text }).queueJwtPrivateKey).toBe(text);
    const file = join(mkdtempSync(join(tmpdir(), 'bcb-cfg-')), 'queue.key');
    writeFileSync(file, text);
    expect(loadConfig({ ...base, QUEUE_JWT_PRIVATE_KEY: file }).queueJwtPrivateKey).toBe(text);
  });

  it('refuses a queue key that is not an RSA private key, naming the variable', () => {
    expect(problems({ QUEUE_JWT_PRIVATE_KEY: pem(ec.privateKey) })).toMatch(/QUEUE_JWT_PRIVATE_KEY must be an RSA key/);
    expect(problems({ QUEUE_JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----' })).toMatch(
      /QUEUE_JWT_PRIVATE_KEY must be a PEM private key/,
    );
    expect(problems({ QUEUE_JWT_PRIVATE_KEY: '/no/such/key.pem' })).toMatch(
      /QUEUE_JWT_PRIVATE_KEY is neither PEM text nor a readable file/,
    );
  });

  it('takes IGNORE_QUEUE_FEATURES as a comma list of known features', () => {
    expect(loadConfig({ ...base, IGNORE_QUEUE_FEATURES: 'unzip, webhook,unzip' }).ignoredQueueFeatures).toEqual([
      'unzip',
      'webhook',
    ]);
    expect(problems({ IGNORE_QUEUE_FEATURES: 'unzip,timer' })).toMatch(/IGNORE_QUEUE_FEATURES may list .*; unknown: timer/);
  });

  it('polls for periodic ticks every second on a real-time clock by default, and checks both variables', () => {
    expect(loadConfig(base)).toMatchObject({ periodicPollMs: 1000, periodicClockRate: 1 });
    expect(loadConfig({ ...base, PERIODIC_POLL_MS: '0', PERIODIC_CLOCK_RATE: '180' })).toMatchObject({
      periodicPollMs: 0,
      periodicClockRate: 180,
    });
    expect(problems({ PERIODIC_POLL_MS: '90000' })).toMatch(/PERIODIC_POLL_MS must be a whole number between 0 and 60000/);
    expect(problems({ PERIODIC_CLOCK_RATE: '0' })).toMatch(/PERIODIC_CLOCK_RATE must be a whole number between 1 and 3600/);
    expect(problems({ PERIODIC_CLOCK_RATE: 'fast' })).toMatch(/PERIODIC_CLOCK_RATE must be a whole number/);
  });

  it('accepts frozen in IGNORE_QUEUE_FEATURES from an older setting, without effect: the broker offers freeze windows', () => {
    expect(loadConfig({ ...base, IGNORE_QUEUE_FEATURES: 'frozen,cache' }).ignoredQueueFeatures).toEqual(['cache']);
  });
});
