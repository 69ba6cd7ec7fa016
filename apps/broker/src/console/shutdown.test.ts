import { describe, expect, it } from 'vitest';
import { startOwnRedis } from '@buildcluster/testkit/redis-server';
import { postBuild, registerCluster, startMessage, workerOf } from '@buildcluster/testkit/queue';
import { startTestBroker } from '../../test/support/broker.js';

/** Bookkeeping that waits for its batch (BOOKKEEPING_DELAY_MS) never holds up or fails a shutdown. */
describe('shutting down with bookkeeping waiting', () => {
  it('closes cleanly when Redis went away before the waiting writes could be sent', async () => {
    const own = await startOwnRedis();
    const broker = await startTestBroker({ env: { REDIS_URL: own.url } });
    try {
      const alpha = await registerCluster(broker.app, broker.adminToken, 'alpha');
      expect((await postBuild(broker.app, broker.sdapiToken, startMessage(1, { buildClusterName: 'alpha' }))).statusCode).toBe(
        201,
      );
      const worker = workerOf(broker.app, alpha);
      const { jobs } = await worker.poll({ workerId: 'w' });
      await worker.ack(jobs.map((j) => j.leaseId));
      // The build's index entry, its delivery and its directory expiry wait up to 20 ms: Redis goes first.
      own.stop();
      const started = Date.now();
      await expect(broker.close()).resolves.toBeUndefined();
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      own.stop();
    }
  }, 20_000);
});
