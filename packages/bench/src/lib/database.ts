import { createEmptyDatabase, type TestDatabase } from '@buildcluster/testkit/postgres';

export const POSTGRES_ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** An empty database of its own (`bcb_<label>_<random>`); the broker migrates it when it starts. */
export const createBenchDatabase = (label: string): Promise<TestDatabase> =>
  createEmptyDatabase(`bcb_${label}`, POSTGRES_ADMIN_URL);
