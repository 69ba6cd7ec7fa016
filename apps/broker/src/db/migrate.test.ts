import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registration } from '@buildcluster/testkit/clusters';
import {
  API_PUBLIC_KEY,
  TEST_DATABASE_ADMIN_URL,
  TEST_REDIS_URL,
  flushPrefix,
  startTestBroker,
} from '../../test/support/broker.js';
import { migrate } from './migrate.js';

/** An empty database (no template), dropped afterwards. */
async function emptyDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `bcb_empty_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(TEST_DATABASE_ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('migrate()', () => {
  let db: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    db = await emptyDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('creates buildClusters with exactly the seed columns plus our extras (README "API", a cluster as the API shows it), camelCase', async () => {
    // Two replicas starting at once: the advisory lock makes them take turns.
    await Promise.all([migrate(db.url), migrate(db.url)]);
    const columns = await query<{
      column_name: string;
      data_type: string;
      character_maximum_length: number | null;
      is_nullable: string;
    }>(
      db.url,
      `select column_name, data_type, character_maximum_length, is_nullable from information_schema.columns
        where table_name = 'buildClusters' order by ordinal_position`,
    );
    expect(columns.map((c) => c.column_name)).toEqual([
      'id',
      'name',
      'scmOrganization',
      'scmContext',
      'isActive',
      'authKeyFileName',
      'signOptionFileName',
      'queue',
      'managedBy',
      'weightage',
      'description',
      'maintainer',
      'provider',
      'createdAt',
      'updatedAt',
    ]);
    const byName = Object.fromEntries(columns.map((c) => [c.column_name, c]));
    expect(byName.name).toMatchObject({ character_maximum_length: 100, is_nullable: 'NO' });
    expect(byName.scmOrganization).toMatchObject({ character_maximum_length: 200, is_nullable: 'NO' });
    expect(byName.managedBy).toMatchObject({ character_maximum_length: 50 });
    expect(byName.provider).toMatchObject({ data_type: 'jsonb', is_nullable: 'YES' });
    const uniques = await query<{ column_name: string }>(
      db.url,
      `select kcu.column_name from information_schema.table_constraints tc
         join information_schema.key_column_usage kcu on kcu.constraint_name = tc.constraint_name
        where tc.table_name = 'buildClusters' and tc.constraint_type = 'UNIQUE' order by 1`,
    );
    expect(uniques.map((u) => u.column_name)).toEqual(['authKeyFileName', 'name', 'signOptionFileName']);
    const tables = await query<{ table_name: string }>(
      db.url,
      `select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'awaitingClusters',
      'buildClusters',
      'clusterKeyRotations',
      'keyFiles',
      'mikroOrmMigrations',
      'periodicSchedules',
      'periodicTicks',
    ]);
  });

  it('is a no-op when nothing is pending', async () => {
    const before = await query<{ name: string }>(db.url, 'select name from "mikroOrmMigrations"');
    await migrate(db.url);
    expect(await query<{ name: string }>(db.url, 'select name from "mikroOrmMigrations"')).toEqual(before);
  });
});

describe('pnpm broker (server.ts) against an empty database', () => {
  it('migrates it, logs one ready line, answers ready, and exits 0 on SIGTERM', async () => {
    const db = await emptyDatabase();
    const prefix = `t-${randomUUID().slice(0, 8)}:`;
    const cwd = fileURLToPath(new URL('../..', import.meta.url));
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/server.ts'], {
      cwd,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        API_JWT_PUBLIC_KEY: API_PUBLIC_KEY,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await expect
        .poll(() => /broker ready on (http:\/\/\S+?)"/.exec(output)?.[1], { timeout: 30_000, interval: 100 })
        .toBeTruthy();
      const address = /broker ready on (http:\/\/\S+?)"/.exec(output)![1]!;
      const ready = await fetch(`${address}/v4/status/ready`);
      expect(ready.status).toBe(200);
      const migrated = await query<{ name: string }>(db.url, 'select name from "mikroOrmMigrations"');
      expect(migrated.length).toBeGreaterThan(0);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await db.drop();
      await flushPrefix(prefix);
    }
  }, 60_000);
});

describe('embedded PostgreSQL (PGlite over pglite-socket, one connection)', () => {
  it('migrates and serves the registry with DB_POOL_MAX=1', async () => {
    const pglite = await PGlite.create();
    const server = new PGLiteSocketServer({ db: pglite, port: 0, host: '127.0.0.1', maxConnections: 1 });
    await server.start();
    const url = `postgres://postgres@${server.getServerConn()}/postgres`;
    try {
      await migrate(url);
      const broker = await startTestBroker({ databaseUrl: url, env: { DB_POOL_MAX: '1' } });
      try {
        const headers = { authorization: `Bearer ${broker.adminToken}` };
        const created = await broker.app.inject({
          method: 'PUT',
          url: '/v4/buildClusters',
          headers,
          payload: registration('embedded').body,
        });
        expect(created.statusCode, created.body).toBe(201);
        const [ready, listed] = await Promise.all([
          broker.app.inject({ method: 'GET', url: '/v4/status/ready' }),
          broker.app.inject({ method: 'GET', url: '/v4/buildClusters', headers }),
        ]);
        expect(ready.statusCode).toBe(200);
        expect(listed.json().map((c: { name: string }) => c.name)).toEqual(['embedded']);
        const dup = await broker.app.inject({
          method: 'PUT',
          url: '/v4/buildClusters',
          headers,
          payload: registration('embedded').body,
        });
        expect(dup.statusCode).toBe(409);
      } finally {
        await broker.close();
      }
    } finally {
      await server.stop();
      await pglite.close();
    }
  }, 60_000);
});
