import pretty from 'pino-pretty';
import { LogController } from 'fastify';
import { buildApp } from '../app.js';
import { ConfigError, loadConfig } from '../config.js';
import { migrate } from '../db/migrate.js';
import { localApiKeys, localQueueKeys, mintLocalToken } from './api-keys.js';
import { dataDir } from './data-dir.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { startLocalRedis } from './local-redis.js';
import { startDemo } from './demo.js';

/**
 * The one-command start: the broker and its dashboard on this machine with no configuration.
 * Whatever the environment does not give (DATABASE_URL, REDIS_URL, API_JWT_PUBLIC_KEY) is provided
 * locally, with state kept in .data/ across restarts.
 */
const REDIS_PORT = 6389;
const EMBEDDED_PG_PORT = 5439;

const say = (line: string) => process.stderr.write(`[quickstart] ${line}\n`);

async function main(argv: string[]): Promise<void> {
  const demo = argv.includes('--demo');
  // Quiet by default: one line per request (polls included) would scroll the sign-in link away.
  const verbose = argv.includes('--verbose');
  const unknown = argv.filter((a) => a !== '--demo' && a !== '--verbose');
  if (unknown.length > 0) {
    say(`unknown option ${unknown[0]}; usage: bash scripts/start.sh [--demo] [--verbose]`);
    process.exit(2);
  }
  const env: Record<string, string | undefined> = { ...process.env };
  // Check the configuration before starting anything: a bad PORT must not leave a Redis running.
  try {
    loadConfig({
      ...env,
      PORT: env.PORT ?? '8080',
      DATABASE_URL: env.DATABASE_URL ?? 'postgres://local@127.0.0.1/check',
      API_JWT_PUBLIC_KEY: env.API_JWT_PUBLIC_KEY ?? localApiKeys().publicKey,
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      say(err.message);
      process.exit(2);
    }
    throw err;
  }
  const stops: Array<() => Promise<void>> = [];
  let localKeys = false;

  if (!env.API_JWT_PUBLIC_KEY) {
    const keys = localApiKeys();
    env.API_JWT_PUBLIC_KEY = keys.publicKey;
    localKeys = true;
    say(`API_JWT_PUBLIC_KEY not set: using the local API key pair in ${keys.dir}`);
  }
  if (!env.QUEUE_JWT_PRIVATE_KEY) {
    const queueKeys = localQueueKeys();
    env.QUEUE_JWT_PRIVATE_KEY = queueKeys.privateKey;
    say(
      `QUEUE_JWT_PRIVATE_KEY not set: using the local key pair; Screwdriver's auth.jwtQueueServicePublicKey is ${queueKeys.publicPath}`,
    );
  }
  if (!env.REDIS_URL) {
    const redis = await startLocalRedis(dataDir('redis'), REDIS_PORT, say);
    env.REDIS_URL = redis.url;
    stops.push(redis.stop);
    say(`REDIS_URL not set: using a local redis-server on ${redis.url} (data in .data/redis)`);
  }
  if (!env.DATABASE_URL) {
    const started = Date.now();
    const pg = await startEmbeddedPostgres(dataDir('pglite'), EMBEDDED_PG_PORT);
    env.DATABASE_URL = pg.url;
    env.DB_POOL_MAX = '1';
    stops.unshift(pg.stop);
    say(
      `DATABASE_URL not set: using embedded PostgreSQL (PGlite) on port ${EMBEDDED_PG_PORT}, data in .data/pglite (${Date.now() - started} ms)`,
    );
  }
  env.PORT ??= '8080';
  env.HOST ??= '127.0.0.1';

  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      say(err.message);
      process.exit(2);
    }
    throw err;
  }
  await migrate(config.databaseUrl);
  const stream = process.stdout.isTTY
    ? pretty({ colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname' })
    : process.stdout;
  const app = await buildApp(config, {
    logger: { level: config.logLevel, stream },
    logController: new LogController({ disableRequestLogging: !verbose }),
  });

  let stopDemo: (() => Promise<void>) | null = null;
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    say('stopping…');
    if (stopDemo) await stopDemo().catch(() => {});
    await app.close();
    for (const stop of stops) await stop().catch(() => {});
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());

  await app.listen({ port: config.port, host: config.host });
  const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host === '127.0.0.1' ? 'localhost' : config.host}:${config.port}`;
  const lines = [
    '',
    'Build cluster broker is running.',
    '',
    localKeys
      ? `  Dashboard (signed in as admin for 12 h):\n    ${base}/#token=${mintLocalToken('admin', 12 * 3600)}`
      : `  Dashboard: ${base}/  (sign in with an admin API token from your Screwdriver API)`,
    `  API docs:  ${base}/docs`,
    `  Health:    ${base}/v4/status/ready`,
    '',
    localKeys ? '  Tokens for curl:  pnpm api-token admin   |   pnpm api-token sdapi   |   pnpm api-token viewer' : '',
    localKeys ? `    curl -H "Authorization: Bearer $(pnpm --silent api-token admin)" ${base}/v4/buildClusters` : '',
    '',
    '  State is kept in .data/ across restarts. Stop with Ctrl-C.',
    '',
  ];
  process.stderr.write(`${lines.filter((l, i, all) => l !== '' || all[i - 1] !== '').join('\n')}\n`);
  if (demo) {
    if (!localKeys) say('--demo needs the local API key (leave API_JWT_PUBLIC_KEY unset); no demo started');
    else stopDemo = await startDemo(`http://127.0.0.1:${config.port}`, say);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  say(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
