/**
 * Developer tool: generates the next migration from the entity definitions.
 *   npx tsx src/db/create-migration.ts postgres://postgres@127.0.0.1:5432/postgres
 * It migrates a scratch database to the committed state, diffs it against the entities, writes
 * `src/migrations/Migration<timestamp>.ts` plus the snapshot, and drops the scratch database.
 * Add the new class to `src/migrations/index.ts` afterwards.
 */
import { fileURLToPath } from 'node:url';
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { ormOptions } from './orm-options.js';

async function main(): Promise<void> {
  const adminUrl = process.argv[2];
  if (!adminUrl) throw new Error('usage: create-migration.ts <postgres admin URL>');
  const scratch = `bcb_migration_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${scratch}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${scratch}`;
  try {
    const base = ormOptions(url.toString(), 1);
    const orm = await MikroORM.init({
      ...base,
      migrations: {
        ...base.migrations,
        path: fileURLToPath(new URL('../migrations', import.meta.url)),
        emit: 'ts',
        snapshot: true,
        snapshotName: '.snapshot-broker',
      },
    });
    try {
      const migrator = orm.getMigrator();
      await migrator.up();
      const result = await migrator.createMigration();
      process.stdout.write(result.fileName ? `wrote ${result.fileName}\n` : 'no schema change\n');
    } finally {
      await orm.close(true);
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${scratch}" WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
