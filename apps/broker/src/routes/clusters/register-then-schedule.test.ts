import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { postBuild, registerCluster, startMessage } from '@buildcluster/testkit/queue';
import { startTestBroker, type TestBroker } from '../../../test/support/broker.js';

/**
 * A registration answered 201 by a replica is in that replica's own copy of the cluster cache
 * already: a start message sent right after is scheduled on it there, without the pub/sub
 * invalidation (or the periodic check) having refreshed the copy.
 */
describe('registering a cluster, then scheduling on the same replica', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => broker.close());

  it('queues a start message sent right after the 201 on the new cluster, not pending', async () => {
    const sync = broker.app.clusterCacheSync;
    // Neither the invalidation this replica publishes nor its periodic check may do the work.
    sync.stop();
    const refreshed = vi.spyOn(sync, 'onMessage').mockResolvedValue(undefined);
    const scmContext = 'github:fresh.example.com';
    try {
      await registerCluster(broker.app, broker.adminToken, 'fresh-one', { scmContext });
      // No cluster is requested: only the weighted pick over this replica's copy can find the new one.
      const message = startMessage(4242, { pipeline: { id: 3, name: 'fresh/repo', scmContext } });
      const res = await postBuild(broker.app, broker.sdapiToken, message);
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toEqual({ buildId: 4242, state: 'queued', cluster: 'fresh-one', queue: 'fresh-one' });
    } finally {
      refreshed.mockRestore();
    }
  });
});
