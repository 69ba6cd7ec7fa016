import { createPrivateKey } from 'node:crypto';
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
  /**
   * PEM text of the key the broker signs Screwdriver tokens with (the launcher's temporal token,
   * its own build tokens for status updates). Screwdriver's API trusts its public half as
   * `auth.jwtQueueServicePublicKey`. Null: launchers get no token and Screwdriver is told nothing.
   */
  queueJwtPrivateKey: string | null;
  /** Added to a build's `screwdriver.cd/timeout` before the broker fails it (the launcher's own limit goes first). */
  buildTimeoutBufferSeconds: number;
  /** How often queued builds' positions are told to Screwdriver (0: only when they enter a queue). */
  positionUpdateSeconds: number;
  /** Whether waiting builds of a job collapse into the newest, when its `screwdriver.cd/collapseBuilds` does not say. */
  collapseBuilds: boolean;
  /** `?type=` features of Screwdriver's queue-service this broker answers 200 to without doing them. */
  ignoredQueueFeatures: IgnorableFeature[];
  leaseMs: number;
  maxAttempts: number;
  keyRotationGraceSeconds: number;
  /** How long a settled build (acked, cancelled, dead) is remembered: dedup of retried posts, stops, lookups. */
  buildRetentionSeconds: number;
  /** How often each replica compares the Redis cluster cache with PostgreSQL and repairs it. */
  clusterReconcileSeconds: number;
  /** Warn (log, /v4/status) when Redis keeps no append-only file. */
  redisAofCheck: boolean;
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

/** Queue-service features the broker does not offer; an operator may choose to have them ignored. */
export const IGNORABLE_FEATURES = ['unzip', 'webhook', 'cache', 'periodic', 'frozen'] as const;
export type IgnorableFeature = (typeof IGNORABLE_FEATURES)[number];

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

function boolean(env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  problems.push(`${name} must be true or false, got "${env[name]}"`);
  return fallback;
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

/** PEM text given inline or as a path; null when `raw` is unset or the file is unreadable (a problem is noted). */
function pemText(name: string, raw: string, problems: string[]): string | null {
  let pem = raw;
  if (!raw.includes('-----BEGIN')) {
    if (!existsSync(raw)) {
      problems.push(`${name} is neither PEM text nor a readable file: ${raw}`);
      return null;
    }
    pem = readFileSync(raw, 'utf8');
  }
  // Environments often carry PEMs with literal "\n"; accept both.
  return pem.replace(/\\n/g, '\n');
}

function publicKey(env: Env, problems: string[]): string {
  const raw = env.API_JWT_PUBLIC_KEY;
  if (raw === undefined || raw.trim() === '') {
    problems.push('API_JWT_PUBLIC_KEY is required (PEM text of the Screwdriver API public key, or a path to it)');
    return '';
  }
  const pem = pemText('API_JWT_PUBLIC_KEY', raw, problems);
  if (pem === null) return '';
  if (!/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem)) {
    problems.push('API_JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----)');
  }
  return pem;
}

function queuePrivateKey(env: Env, problems: string[]): string | null {
  const raw = env.QUEUE_JWT_PRIVATE_KEY;
  if (raw === undefined || raw.trim() === '') return null;
  const pem = pemText('QUEUE_JWT_PRIVATE_KEY', raw, problems);
  if (pem === null) return null;
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') {
      problems.push(`QUEUE_JWT_PRIVATE_KEY must be an RSA key (Screwdriver verifies RS256), got ${key.asymmetricKeyType}`);
    }
  } catch {
    problems.push('QUEUE_JWT_PRIVATE_KEY must be a PEM private key (-----BEGIN PRIVATE KEY----- or RSA PRIVATE KEY)');
    return null;
  }
  return pem;
}

function ignoredFeatures(env: Env, problems: string[]): IgnorableFeature[] {
  const raw = env.IGNORE_QUEUE_FEATURES ?? '';
  const names = raw
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const unknown = names.filter((n) => !(IGNORABLE_FEATURES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    problems.push(`IGNORE_QUEUE_FEATURES may list ${IGNORABLE_FEATURES.join(', ')}; unknown: ${unknown.join(', ')}`);
  }
  return [...new Set(names.filter((n): n is IgnorableFeature => (IGNORABLE_FEATURES as readonly string[]).includes(n)))];
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
    queueJwtPrivateKey: queuePrivateKey(env, problems),
    buildTimeoutBufferSeconds: integer(env, 'BUILD_TIMEOUT_BUFFER_SECONDS', 60, 0, 86400, problems),
    positionUpdateSeconds: integer(env, 'POSITION_UPDATE_SECONDS', 5, 0, 3600, problems),
    collapseBuilds: boolean(env, 'COLLAPSE_BUILDS', true, problems),
    ignoredQueueFeatures: ignoredFeatures(env, problems),
    leaseMs: integer(env, 'LEASE_MS', 60000, 1000, 3600000, problems),
    maxAttempts: integer(env, 'MAX_ATTEMPTS', 5, 1, 100, problems),
    keyRotationGraceSeconds: integer(env, 'KEY_ROTATION_GRACE_SECONDS', 3600, 0, 30 * 86400, problems),
    buildRetentionSeconds: integer(env, 'BUILD_RETENTION_SECONDS', 2 * 86400, 60, 30 * 86400, problems),
    clusterReconcileSeconds: integer(env, 'CLUSTER_RECONCILE_SECONDS', 30, 1, 3600, problems),
    redisAofCheck: boolean(env, 'REDIS_AOF_CHECK', true, problems),
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
