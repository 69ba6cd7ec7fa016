import { describe, expect, it, vi } from 'vitest';
import { postBuild, registerCluster, startMessage } from '@buildcluster/testkit/queue';
import type { LocalClusterDirectory } from '../../clusters/directory.js';
import { brokerForSuite, type TestBroker } from '../../../test/support/broker.js';

/**
 * A registration answered 201 by a replica is in that replica's own copy of the cluster cache
 * already: a start message sent right after is scheduled on it there, without the pub/sub
 * invalidation (or the periodic check) having refreshed the copy, and a full reload of the copy
 * from a snapshot read before the registration does not take it out again.
 */
describe('registering a cluster, then scheduling on the same replica', () => {
  let broker: TestBroker;
  brokerForSuite([], (started) => (broker = started));

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

  it('keeps the new cluster when a reload that read the cache before the registration lands after its 201', async () => {
    const sync = broker.app.clusterCacheSync;
    const directory = broker.app.clusters as LocalClusterDirectory;
    const scmContext = 'github:late-reload.example.com';
    // A full reload reads its snapshot now; what it does with it is held until after the registration.
    const held: Array<() => void> = [];
    const replace = directory.replace.bind(directory);
    const hold = vi.spyOn(directory, 'replace').mockImplementation((...args) => void held.push(() => replace(...args)));
    await sync.reload();
    hold.mockRestore();
    expect(held).toHaveLength(1);

    const refreshed = vi.spyOn(sync, 'onMessage').mockResolvedValue(undefined);
    try {
      await registerCluster(broker.app, broker.adminToken, 'late-reload', { scmContext });
      for (const apply of held) apply();
      const message = startMessage(4343, { pipeline: { id: 3, name: 'late/repo', scmContext } });
      const res = await postBuild(broker.app, broker.sdapiToken, message);
      expect(res.json()).toEqual({ buildId: 4343, state: 'queued', cluster: 'late-reload', queue: 'late-reload' });
    } finally {
      refreshed.mockRestore();
    }
  });
});
