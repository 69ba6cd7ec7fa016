import { Queue } from 'node-resque';
import { runRole } from '../lib/role.js';
import { Meter, concurrentLoop } from '../lib/measure.js';
import { peerPayload } from '../lib/payload.js';
import type { PeerConfig } from './peer-config.js';

// node-resque producer: `concurrency` loops of awaited enqueue (perf.md t3, 50 concurrent).
runRole<PeerConfig, unknown>(async (config) => {
  const url = new URL(config.redisUrl);
  const queue = new Queue({ connection: { host: url.hostname, port: Number(url.port) } });
  await queue.connect();
  const payloads = Array.from({ length: config.warmup + config.jobs }, (_, i) => peerPayload(i + 1));
  await concurrentLoop(config.warmup, config.concurrency, async (i) => {
    await queue.enqueue(config.queue, 'build', [payloads[i]]);
  });
  return async () => {
    const meter = new Meter();
    meter.started();
    await concurrentLoop(config.jobs, config.concurrency, async (i) => {
      await queue.enqueue(config.queue, 'build', [payloads[config.warmup + i]]);
      meter.completed();
    });
    await queue.end();
    return meter.result();
  };
});
