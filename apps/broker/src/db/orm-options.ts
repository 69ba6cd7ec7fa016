import { EntityCaseNamingStrategy } from '@mikro-orm/core';
import { PostgreSqlDriver, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './entities.js';
import { migrationsList } from '../migrations/index.js';

/**
 * MikroORM options shared by the app, migrate() and the migration generator. Column names are the
 * property names (camelCase, quoted), as the seed spells them.
 */
export function ormOptions(databaseUrl: string, poolMax: number): Options {
  return {
    driver: PostgreSqlDriver,
    clientUrl: databaseUrl,
    entities,
    namingStrategy: EntityCaseNamingStrategy,
    // The embedded PGlite socket server takes one connection: the pool size comes from config.
    pool: { min: 0, max: poolMax, idleTimeoutMillis: 30_000 },
    // Fail fast while PostgreSQL is unreachable (registry calls answer 503) instead of hanging a request.
    driverOptions: { acquireConnectionTimeout: 10_000, connection: { connectionTimeoutMillis: 5_000 } },
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    migrations: {
      tableName: 'mikroOrmMigrations',
      // Listed explicitly so they load the same under tsc output, tsx and vitest.
      migrationsList,
      // The snapshot is written by create-migration.ts only; running migrations does not need it.
      snapshot: false,
      transactional: true,
      allOrNothing: true,
    },
    allowGlobalContext: false,
    debug: false,
  };
}
