import { Redis } from 'ioredis';
import { runRole } from '../lib/role.js';
import { Meter, concurrentLoop } from '../lib/measure.js';
import { peerPayload } from '../lib/payload.js';
import type { PeerConfig } from './peer-config.js';

// Raw Redis Streams producer: `concurrency` loops of awaited single XADDs (perf.md t1, second variant).
runRole<PeerConfig, unknown>(async (config) => {
  const redis = new Redis(config.redisUrl, { connectionName: 'streams-producer' });
  const payloads = Array.from({ length: config.jobs }, (_, i) => JSON.stringify(peerPayload(i + 1)));
  return async () => {
    const meter = new Meter();
    meter.started();
    await concurrentLoop(config.jobs, config.concurrency, async (i) => {
      await redis.xadd(config.queue, '*', 'd', payloads[i]!);
      meter.completed();
    });
    redis.disconnect();
    return meter.result();
  };
});
