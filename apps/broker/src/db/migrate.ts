import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions } from './orm-options.js';

/** Any number that no other part of the broker uses as an advisory lock key. */
const MIGRATION_LOCK = 7_324_001;

/**
 * Runs every pending migration against databaseUrl, then closes its connection. A single
 * connection: it also works against the embedded PGlite socket server, which serves one at a time,
 * and the session advisory lock it holds makes replicas starting together migrate one after another.
 */
export async function migrate(databaseUrl: string): Promise<void> {
  const orm = await MikroORM.init({ ...ormOptions(databaseUrl, 1), logger: () => {} });
  try {
    const connection = orm.em.getConnection();
    await connection.execute(`select pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      await orm.getMigrator().up();
    } finally {
      await connection.execute(`select pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  } finally {
    await orm.close(true);
  }
}
