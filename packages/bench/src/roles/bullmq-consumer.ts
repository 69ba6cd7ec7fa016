import { Worker } from 'bullmq';
import { runRole } from '../lib/role.js';
import { Meter, deferred } from '../lib/measure.js';
import type { PeerConfig } from './peer-config.js';

// BullMQ worker with a no-op processor at `concurrency` (50 in the bench), timed to the last `completed`.
runRole<PeerConfig, unknown>(async (config) => {
  const url = new URL(config.redisUrl);
  const meter = new Meter();
  const all = deferred();
  const worker = new Worker(config.queue, async () => {}, {
    connection: { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null },
    concurrency: config.concurrency,
    autorun: false,
  });
  worker.on('completed', () => {
    meter.completed();
    if (meter.count >= config.jobs) all.resolve();
  });
  worker.on('failed', () => meter.errors++);
  await worker.waitUntilReady();
  return async () => {
    meter.started();
    void worker.run();
    await all.promise;
    await worker.close(true);
    return meter.result();
  };
});
