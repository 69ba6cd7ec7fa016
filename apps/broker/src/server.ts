import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { migrate } from './db/migrate.js';

/** Production start (`pnpm broker`): read the environment, migrate, listen, log one ready line. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`broker: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  await migrate(config.databaseUrl);
  const app = await buildApp(config);
  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: answering waiting polls, finishing requests');
    const timer = setTimeout(() => {
      app.log.error('shutdown took over 10 s; exiting');
      process.exit(1);
    }, 10_000);
    timer.unref();
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void close('SIGTERM'));
  process.on('SIGINT', () => void close('SIGINT'));
  const address = await app.listen({ port: config.port, host: config.host });
  app.log.info({ address }, `broker ready on ${address}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`broker: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
