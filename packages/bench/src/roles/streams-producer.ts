import { Redis } from 'ioredis';
import { runRole } from '../lib/role.js';
import { Meter, concurrentLoop } from '../lib/measure.js';
import { peerPayload } from '../lib/payload.js';
import type { PeerConfig } from './peer-config.js';

// Raw Redis Streams producer: `concurrency` loops of awaited single XADDs (perf.md t1, second variant).
runRole<PeerConfig, unknown>(async (config) => {
  const redis = new Redis(config.redisUrl, { connectionName: 'streams-producer' });
  const total = config.warmup + config.jobs;
  const payloads = Array.from({ length: total }, (_, i) => JSON.stringify(peerPayload(i + 1)));
  await concurrentLoop(config.warmup, config.concurrency, async (i) => {
    await redis.xadd(config.queue, '*', 'd', payloads[i]!);
  });
  return async () => {
    const meter = new Meter();
    meter.started();
    await concurrentLoop(config.jobs, config.concurrency, async (i) => {
      await redis.xadd(config.queue, '*', 'd', payloads[config.warmup + i]!);
      meter.completed();
    });
    redis.disconnect();
    return meter.result();
  };
});
