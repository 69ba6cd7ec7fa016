import { createEmptyDatabase, TEST_DATABASE_ADMIN_URL } from '@buildcluster/testkit/postgres';

/** PostgreSQL and Redis of this machine (scripts/test.sh starts its own when these do not answer). */
export const ADMIN_DATABASE_URL = TEST_DATABASE_ADMIN_URL;
export { redisPrefix, TEST_REDIS_URL as REDIS_URL } from '@buildcluster/testkit/redis';

export interface Database {
  name: string;
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  drop(): Promise<void>;
}

/** A new, empty database with a random name under `prefix` and its connection parts (for the API's config); `drop` removes it (and only it). */
export async function createDatabase(prefix: string): Promise<Database> {
  const database = await createEmptyDatabase(prefix);
  const url = new URL(database.url);
  return {
    ...database,
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    password: decodeURIComponent(url.password),
  };
}
