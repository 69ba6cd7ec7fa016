import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * PostgreSQL for the quick start when no DATABASE_URL is given: PGlite (PostgreSQL compiled to
 * WebAssembly) on a file-backed data folder, served over the PostgreSQL wire protocol so the broker
 * uses its ordinary driver. PGlite runs one session, hence one connection.
 */
export async function startEmbeddedPostgres(dir: string, port: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 1 });
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
