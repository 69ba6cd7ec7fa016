import { Queue } from 'bullmq';
import { runRole } from '../lib/role.js';
import { Meter, concurrentLoop } from '../lib/measure.js';
import { peerPayload } from '../lib/payload.js';
import type { PeerConfig } from './peer-config.js';

// BullMQ producer: `concurrency` loops of awaited Queue.add with default job options (perf.md t2).
runRole<PeerConfig, unknown>(async (config) => {
  const url = new URL(config.redisUrl);
  const queue = new Queue(config.queue, { connection: { host: url.hostname, port: Number(url.port) } });
  await queue.waitUntilReady();
  const payloads = Array.from({ length: config.warmup + config.jobs }, (_, i) => peerPayload(i + 1));
  await concurrentLoop(config.warmup, config.concurrency, async (i) => {
    await queue.add('build', payloads[i]!);
  });
  return async () => {
    const meter = new Meter();
    meter.started();
    await concurrentLoop(config.jobs, config.concurrency, async (i) => {
      await queue.add('build', payloads[config.warmup + i]!);
      meter.completed();
    });
    await queue.close();
    return meter.result();
  };
});
