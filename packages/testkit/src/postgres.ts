import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';

/**
 * Databases of a test's own on the PostgreSQL of this machine: an empty one (for a broker that
 * migrates as it starts), or a clone of a migrated template (fast: one CREATE DATABASE ... TEMPLATE).
 */
export const TEST_DATABASE_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  /** Drops this database (and only it), with whatever connections are still open. */
  drop: () => Promise<void>;
}

/** What builds a template: the schema's migrations (their code names the template) and how to run them. */
export interface Migrations {
  migrate(databaseUrl: string): Promise<void>;
  migrationsList: ReadonlyArray<{ name: string; class: unknown }>;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function admin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function database(adminUrl: string, name: string): TestDatabase {
  return {
    name,
    url: withDatabase(adminUrl, name),
    drop: () => admin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

const suffix = (length: number) => randomUUID().replace(/-/g, '').slice(0, length);

/** A new, empty database named `<prefix>_<random>`. */
export async function createEmptyDatabase(prefix: string, adminUrl = TEST_DATABASE_ADMIN_URL): Promise<TestDatabase> {
  const name = `${prefix}_${suffix(12)}`;
  await admin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  return database(adminUrl, name);
}

/** The template's name changes with any migration's name or code, so an edited migration gets a new one. */
function templateName(migrations: Migrations): string {
  const hash = createHash('sha256');
  for (const m of migrations.migrationsList) hash.update(m.name).update(String(m.class));
  return `bcb_tpl_${hash.digest('hex').slice(0, 12)}`;
}

/** A fresh, migrated database, cloned from a template that is built once (per migration set) and kept. */
export async function createMigratedDatabase(migrations: Migrations, adminUrl = TEST_DATABASE_ADMIN_URL): Promise<TestDatabase> {
  const template = templateName(migrations);
  await admin(adminUrl, async (client) => {
    // One process at a time builds the template; the others wait on the advisory lock.
    await client.query('SELECT pg_advisory_lock(424242)');
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (found.rowCount === 0) {
        const building = `${template}_build_${process.pid}`;
        await client.query(`DROP DATABASE IF EXISTS "${building}"`);
        await client.query(`CREATE DATABASE "${building}"`);
        await migrations.migrate(withDatabase(adminUrl, building));
        await client.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(424242)');
    }
  });
  const name = `bcb_test_${suffix(16)}`;
  await admin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return database(adminUrl, name);
}
