/**
 * Runs one test broker (real PostgreSQL and Redis, its own database and key prefix) for the
 * Playwright tests, from the broker's TypeScript source. Started by support/broker.ts as
 *   node --conditions=source --import tsx e2e/support/start-broker.ts
 * with extra broker env as JSON in E2E_BROKER_ENV. Prints one JSON line when it listens, then
 * waits; SIGTERM closes the broker and drops its database.
 */
import * as brokerModule from '@buildcluster/broker';
import { testBrokerKit } from '@buildcluster/testkit/broker';
import { mintApiToken } from '@buildcluster/testkit/tokens';

const { startTestBroker } = testBrokerKit(brokerModule);

const env = JSON.parse(process.env.E2E_BROKER_ENV ?? '{}') as Record<string, string>;
const broker = await startTestBroker({ listen: true, env });

const ready = {
  url: broker.url,
  adminToken: mintApiToken({ scope: ['admin'], username: 'e2e-admin', expiresIn: 4 * 3600 }),
  sdapiToken: broker.sdapiToken,
  expiredToken: mintApiToken({ scope: ['admin'], username: 'e2e-admin', expiresIn: -60 }),
  sdapiOnlyToken: mintApiToken({ scope: ['sdapi'], username: 'e2e-sdapi', expiresIn: 3600 }),
  viewerToken: mintApiToken({ scope: ['viewer'], username: 'e2e-maintainer', expiresIn: 4 * 3600 }),
};
process.stdout.write(`${JSON.stringify(ready)}\n`);

let closing = false;
async function close(): Promise<void> {
  if (closing) return;
  closing = true;
  await broker.close().catch((err: unknown) => process.stderr.write(`e2e broker: close failed: ${String(err)}\n`));
  process.exit(0);
}
process.on('SIGTERM', () => void close());
process.on('SIGINT', () => void close());
// The test runner died without saying goodbye: do not outlive it.
process.stdin.on('end', () => void close());
process.stdin.resume();
