import { Worker } from 'bullmq';
import { runRole } from '../lib/role.js';
import { ConsumeTracker } from '../lib/measure.js';
import type { PeerConfig } from './peer-config.js';

// BullMQ worker with a no-op processor at `concurrency` (50 in the bench), timed to the last `completed`.
runRole<PeerConfig, unknown>(async (config) => {
  const url = new URL(config.redisUrl);
  const tracker = new ConsumeTracker(config.warmup, config.jobs);
  const worker = new Worker(config.queue, async () => {}, {
    connection: { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null },
    concurrency: config.concurrency,
  });
  worker.on('completed', () => tracker.consumed());
  worker.on('failed', () => tracker.meter.errors++);
  await tracker.warmedUp.promise;
  return async () => {
    tracker.go();
    await tracker.finished.promise;
    await worker.close(true);
    return tracker.meter.result();
  };
});
