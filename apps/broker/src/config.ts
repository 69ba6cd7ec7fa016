import { fileURLToPath } from 'node:url';
import { Type } from 'typebox';
import { publicKeyPem, rsaPrivateKeyPem } from './config-keys.js';
import { urlOf, variable, type Variable } from './config-variable.js';

/** Queue-service features the broker does not offer; an operator may choose to have them ignored. */
export const IGNORABLE_FEATURES = ['unzip', 'webhook', 'cache', 'periodic'] as const;
export type IgnorableFeature = (typeof IGNORABLE_FEATURES)[number];
/** Offered now, and still accepted in IGNORE_QUEUE_FEATURES (a setting from before), without effect. */
const OFFERED_NOW = ['frozen'] as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The dashboard built in this checkout (from src/ or dist/ alike). */
const BUILT_DASHBOARD = () => fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));

const seconds = (min: number, max: number, fallback: number, description: string) =>
  Type.Integer({ minimum: min, maximum: max, default: fallback, description });

/**
 * The broker's environment, the one place that reads process.env: each entry is a variable with
 * its schema (type, bounds, description, default), checked at startup; a bad value stops the
 * broker with a message that names it. The README's configuration table lists exactly these
 * (config-readme.test.ts). A new setting is one entry here, plus its README row.
 */
export const VARIABLES = {
  port: variable('PORT', Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'HTTP port' })),
  host: variable('HOST', Type.String({ default: '0.0.0.0', description: 'listen address' })),
  databaseUrl: variable('DATABASE_URL', Type.String({ description: 'PostgreSQL, source of truth for clusters' }), {
    refine: urlOf('postgres:', 'postgresql:'),
    requiredHint: 'postgres: or postgresql: URL',
  }),
  redisUrl: variable(
    'REDIS_URL',
    Type.String({ default: 'redis://127.0.0.1:6379', description: 'Redis 7: cluster cache and every queue' }),
    { refine: urlOf('redis:', 'rediss:') },
  ),
  /** Seeds of a Redis Cluster; set, the broker uses ioredis `Cluster` (credentials and TLS still from REDIS_URL). */
  redisClusterNodes: variable(
    'REDIS_CLUSTER_NODES',
    Type.Array(Type.String({ pattern: '^[^\\s:,]+:\\d{1,5}$' }), {
      default: [],
      description: 'comma list of host:port seeds of a Redis Cluster (REDIS_URL then gives only credentials and TLS)',
    }),
    { problem: 'must be a comma list of host:port' },
  ),
  /** After each state-changing script, WAIT for this many replicas before answering (0: no WAIT). */
  redisWaitReplicas: variable(
    'REDIS_WAIT_REPLICAS',
    Type.Integer({
      minimum: 0,
      maximum: 10,
      default: 0,
      description: 'replicas each state change must reach (Redis WAIT) before the broker answers',
    }),
  ),
  /** Prefix of every Redis key and channel this broker uses; lets tests and tenants share one Redis. */
  redisKeyPrefix: variable(
    'REDIS_KEY_PREFIX',
    Type.String({
      pattern: '^[A-Za-z0-9:_.-]{0,50}$',
      default: 'bcb:',
      description: 'prefix of every key and channel, so deployments can share a Redis',
    }),
    { problem: 'may hold only letters, digits and :_.- (at most 50)' },
  ),
  apiJwtPublicKey: variable(
    'API_JWT_PUBLIC_KEY',
    Type.String({ description: 'PEM (or a path to one) of the Screwdriver API key that signs API tokens' }),
    { refine: publicKeyPem, requiredHint: 'PEM text of the Screwdriver API public key, or a path to it' },
  ),
  /**
   * The key the broker signs Screwdriver tokens with (the launcher's temporal token, its own build
   * tokens for status updates); Screwdriver's API trusts its public half as
   * `auth.jwtQueueServicePublicKey`. Null: launchers get no token and Screwdriver is told nothing.
   */
  queueJwtPrivateKey: variable(
    'QUEUE_JWT_PRIVATE_KEY',
    Type.String({ description: 'RSA private key (PEM or path) the broker signs Screwdriver tokens with' }),
    { refine: rsaPrivateKeyPem, unset: null },
  ),
  buildTimeoutBufferSeconds: variable(
    'BUILD_TIMEOUT_BUFFER_SECONDS',
    seconds(0, 86400, 60, "added to a build's screwdriver.cd/timeout before the broker fails it"),
  ),
  positionUpdateSeconds: variable(
    'POSITION_UPDATE_SECONDS',
    seconds(0, 3600, 5, "how often queued builds' positions are told to Screwdriver (0: only when they enter a queue)"),
  ),
  collapseBuilds: variable(
    'COLLAPSE_BUILDS',
    Type.Boolean({
      default: true,
      description: 'whether waiting builds of a job collapse into the newest when its screwdriver.cd/collapseBuilds does not say',
    }),
  ),
  ignoredQueueFeatures: variable(
    'IGNORE_QUEUE_FEATURES',
    Type.Array(Type.Enum([...IGNORABLE_FEATURES, ...OFFERED_NOW]), {
      default: [],
      description: 'comma list of queue-service features to answer 200 without effect instead of 501',
    }),
    {
      refine: (names) => names.filter((n): n is IgnorableFeature => (IGNORABLE_FEATURES as readonly string[]).includes(n)),
    },
  ),
  leaseMs: variable(
    'LEASE_MS',
    Type.Integer({
      minimum: 1000,
      maximum: 3600000,
      default: 60000,
      description: 'how long a worker holds a build before it is delivered again',
    }),
  ),
  pollLingerMs: variable(
    'POLL_LINGER_MS',
    Type.Integer({
      minimum: 0,
      maximum: 1000,
      default: 500,
      description:
        'longest a poll short of its max waits for more builds of its queue while this replica is busy (event loop over 60 %), so polls and acks carry batches; never while it is not; 0 turns it off',
    }),
  ),
  maxAttempts: variable(
    'MAX_ATTEMPTS',
    Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 5,
      description: 'deliveries before a build goes to the dead-letter queue',
    }),
  ),
  keyRotationGraceSeconds: variable(
    'KEY_ROTATION_GRACE_SECONDS',
    seconds(0, 30 * 86400, 3600, "how long a cluster's previous key stays valid after a rotation"),
  ),
  /** Settled builds (acked, cancelled, dead) are remembered: dedup of retried posts, stops, lookups. */
  buildRetentionSeconds: variable(
    'BUILD_RETENTION_SECONDS',
    seconds(60, 30 * 86400, 2 * 86400, 'how long a settled (acked, cancelled) build stays known'),
  ),
  clusterReconcileSeconds: variable(
    'CLUSTER_RECONCILE_SECONDS',
    seconds(1, 3600, 30, 'how often each replica compares the cluster cache with PostgreSQL'),
  ),
  redisAofCheck: variable(
    'REDIS_AOF_CHECK',
    Type.Boolean({ default: true, description: 'warn (log, GET /v4/status) when Redis keeps no append-only file' }),
  ),
  logLevel: variable('LOG_LEVEL', Type.Enum(LOG_LEVELS, { default: 'info', description: 'fatal … trace, or silent' })),
  dbPoolMax: variable(
    'DB_POOL_MAX',
    Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'PostgreSQL connections per broker' }),
  ),
  /** Served at / when it holds a built dashboard. */
  dashboardDir: variable(
    'DASHBOARD_DIR',
    Type.String({
      default: 'apps/dashboard/dist',
      description: 'built dashboard served at / (default: the one of this checkout)',
    }),
    { fallback: BUILT_DASHBOARD },
  ),
  screwdriverUiUrl: variable(
    'SCREWDRIVER_UI_URL',
    Type.String({ description: "Screwdriver's UI; the console links each build to its page there" }),
    { refine: (value, problems, env) => urlOf('http:', 'https:')(value, problems, env).replace(/\/+$/, ''), unset: null },
  ),
  periodicPollMs: variable(
    'PERIODIC_POLL_MS',
    Type.Integer({
      minimum: 0,
      maximum: 60_000,
      default: 1000,
      description: 'how often each replica claims due periodic ticks and sends the outbox (0: never; tests drive the ticker)',
    }),
  ),
  periodicClockRate: variable(
    'PERIODIC_CLOCK_RATE',
    Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 1,
      description: 'test only: the periodic schedule clock runs this many times as fast as real time',
    }),
  ),
};

type ValueOf<V> = V extends Variable<infer T> ? T : never;

/** The configuration, typed from the entries above. */
export type BrokerConfig = { -readonly [K in keyof typeof VARIABLES]: ValueOf<(typeof VARIABLES)[K]> };

/** The documented environment: every variable's schema under its name. */
export const EnvironmentSchema = Type.Object(
  Object.fromEntries(Object.values(VARIABLES).map((v) => [v.env, v.required ? v.schema : Type.Optional(v.schema)])),
  { description: 'Environment of the broker' },
);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads and checks every variable, listing all problems at once. */
export function loadConfig(env: Env = process.env): BrokerConfig {
  const problems: string[] = [];
  const config = Object.fromEntries(
    Object.entries(VARIABLES).map(([key, v]: [string, Variable<unknown>]) => [key, v.read(env[v.env], problems)]),
  ) as BrokerConfig;
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
