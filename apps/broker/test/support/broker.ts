import { afterAll, beforeAll } from 'vitest';
import { testBrokerKit } from '@buildcluster/testkit/broker';
import { registerCluster, type TestCluster } from '@buildcluster/testkit/queue';
import * as broker from '../../src/index.js';

/**
 * The test kit's broker start-up bound to this package's source, for the broker's own tests; with
 * the names the kit's other modules give them, what `src/testing/index.ts` used to export.
 */
export const { startTestBroker, createTestDatabase, startLoggedReplica } = testBrokerKit(broker);
export type TestBroker = Awaited<ReturnType<typeof startTestBroker>>;
export type LoggedBroker = Awaited<ReturnType<typeof startLoggedReplica>>;
export type { TestBrokerOptions } from '@buildcluster/testkit/broker';
export { API_PRIVATE_KEY, API_PUBLIC_KEY, mintApiToken } from '@buildcluster/testkit/tokens';
export { TEST_DATABASE_ADMIN_URL } from '@buildcluster/testkit/postgres';
export { flushPrefix, TEST_REDIS_URL } from '@buildcluster/testkit/redis';
export { onTestCluster, scanKeys, testRedis, testRedisEnv, testRedisPorts } from '@buildcluster/testkit/redis';

/**
 * One broker for the enclosing `describe`: started before its tests with the named clusters
 * registered (in order, default settings), handed to `ready`, and closed after them.
 */
export function brokerForSuite(clusterNames: string[], ready: (broker: TestBroker, clusters: TestCluster[]) => void): void {
  let started: TestBroker | undefined;
  beforeAll(async () => {
    started = await startTestBroker();
    const clusters: TestCluster[] = [];
    for (const name of clusterNames) clusters.push(await registerCluster(started.app, started.adminToken, name));
    ready(started, clusters);
  });
  afterAll(async () => started?.close());
}
