import { readFileSync, existsSync } from 'node:fs';

/**
 * The one place that reads process.env (SPEC §9). Every variable is checked here, at startup,
 * and a bad one stops the broker with a message that names it.
 */
export interface BrokerConfig {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string;
  /** Prefix of every Redis key and channel this broker uses; lets tests and tenants share one Redis. */
  redisKeyPrefix: string;
  /** PEM text of the Screwdriver API's public key, which signs API tokens. */
  apiJwtPublicKey: string;
  leaseMs: number;
  maxAttempts: number;
  keyRotationGraceSeconds: number;
  /** How long a settled build (acked, cancelled, dead) is remembered: dedup of retried posts, stops, lookups. */
  buildRetentionSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  dbPoolMax: number;
  /** Folder of the built dashboard; served at / when it exists. */
  dashboardDir: string | null;
  /** Screwdriver's UI (e.g. https://cd.example.com): the console links each build to its page there. */
  screwdriverUiUrl: string | null;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function integer(env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) {
    problems.push(`${name} must be a whole number between ${min} and ${max}, got "${raw}"`);
    return fallback;
  }
  const value = Number(raw.trim());
  if (value < min || value > max) problems.push(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function url(env: Env, name: string, protocols: string[], fallback: string | undefined, problems: string[]): string {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    if (fallback === undefined) problems.push(`${name} is required (${protocols.join(' or ')} URL)`);
    return fallback ?? '';
  }
  try {
    const parsed = new URL(raw);
    if (!protocols.includes(parsed.protocol)) {
      problems.push(`${name} must be a ${protocols.join(' or ')} URL, got protocol "${parsed.protocol}"`);
    }
  } catch {
    problems.push(`${name} is not a valid URL`);
  }
  return raw;
}

function publicKey(env: Env, problems: string[]): string {
  const raw = env.API_JWT_PUBLIC_KEY;
  if (raw === undefined || raw.trim() === '') {
    problems.push('API_JWT_PUBLIC_KEY is required (PEM text of the Screwdriver API public key, or a path to it)');
    return '';
  }
  let pem = raw;
  if (!raw.includes('-----BEGIN')) {
    if (!existsSync(raw)) {
      problems.push(`API_JWT_PUBLIC_KEY is neither PEM text nor a readable file: ${raw}`);
      return '';
    }
    pem = readFileSync(raw, 'utf8');
  }
  // Environments often carry PEMs with literal "\n"; accept both.
  pem = pem.replace(/\\n/g, '\n');
  if (!/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem)) {
    problems.push('API_JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----)');
  }
  return pem;
}

export function loadConfig(env: Env = process.env): BrokerConfig {
  const problems: string[] = [];
  const logLevel = (env.LOG_LEVEL ?? 'info') as BrokerConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  const prefix = env.REDIS_KEY_PREFIX ?? 'bcb:';
  if (!/^[A-Za-z0-9:_.-]{0,50}$/.test(prefix))
    problems.push('REDIS_KEY_PREFIX may hold only letters, digits and :_.- (at most 50)');
  const config: BrokerConfig = {
    port: integer(env, 'PORT', 8080, 0, 65535, problems),
    host: env.HOST && env.HOST !== '' ? env.HOST : '0.0.0.0',
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:'], undefined, problems),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:'], 'redis://127.0.0.1:6379', problems),
    redisKeyPrefix: prefix,
    apiJwtPublicKey: publicKey(env, problems),
    leaseMs: integer(env, 'LEASE_MS', 60000, 1000, 3600000, problems),
    maxAttempts: integer(env, 'MAX_ATTEMPTS', 5, 1, 100, problems),
    keyRotationGraceSeconds: integer(env, 'KEY_ROTATION_GRACE_SECONDS', 3600, 0, 30 * 86400, problems),
    buildRetentionSeconds: integer(env, 'BUILD_RETENTION_SECONDS', 2 * 86400, 60, 30 * 86400, problems),
    logLevel,
    dbPoolMax: integer(env, 'DB_POOL_MAX', 10, 1, 100, problems),
    dashboardDir: env.DASHBOARD_DIR && env.DASHBOARD_DIR !== '' ? env.DASHBOARD_DIR : null,
    screwdriverUiUrl: env.SCREWDRIVER_UI_URL
      ? url(env, 'SCREWDRIVER_UI_URL', ['http:', 'https:'], undefined, problems).replace(/\/+$/, '')
      : null,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
