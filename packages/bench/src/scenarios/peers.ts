import type { RedisServer } from '../lib/redis-server.js';
import { progress } from '../lib/log.js';
import { formatInt } from '../lib/stats.js';
import type { PeerConfig } from '../roles/peer-config.js';
import { RedisNodes } from '../lib/redis-nodes.js';
import { runPair, type PairResult } from './pair.js';

export const PEERS = {
  bullmq: { producer: 'bullmq-producer', consumer: 'bullmq-consumer', title: 'BullMQ (Queue.add ×50 + Worker c=50)' },
  resque: { producer: 'resque-producer', consumer: 'resque-consumer', title: 'node-resque (enqueue ×50 + MultiWorker ≤50)' },
  streams: {
    producer: 'streams-producer',
    consumer: 'streams-consumer',
    title: 'Redis Streams (XADD ×50, XREADGROUP 100, XACK)',
  },
} as const;
export type PeerName = keyof typeof PEERS;

/** Jobs run through every system before its measurement: connections, JIT, worker ramp-up. */
export function warmupFor(jobs: number): number {
  return Math.min(2000, Math.ceil(jobs / 5));
}

/** One peer end to end on the dedicated Redis, flushed first so each run starts from nothing. */
export async function runPeer(name: PeerName, redisServer: RedisServer, jobs: number): Promise<PairResult> {
  const peer = PEERS[name];
  const redis = redisServer.client('bench-control');
  const nodes = new RedisNodes([`127.0.0.1:${redisServer.port}`]);
  try {
    await redis.flushall();
    const config: PeerConfig = {
      redisUrl: redisServer.url,
      jobs,
      warmup: warmupFor(jobs),
      concurrency: 50,
      queue: `bench-${name}`,
    };
    progress(`${name}: ${formatInt(jobs)} jobs end to end`);
    const result = await runPair({
      producer: peer.producer,
      consumer: peer.consumer,
      producerConfig: config,
      consumerConfig: config,
      redis: nodes,
      timeoutMs: Math.max(120_000, jobs * 5),
      label: name,
    });
    progress(
      `${name}: ${formatInt(result.perSecond)} jobs/s (${result.seconds} s; cpu % producer ${result.cpu.producer}, consumer ${result.cpu.consumer}, redis ${result.cpu.redis})`,
    );
    return result;
  } finally {
    await redis.flushall().catch(() => {});
    redis.disconnect();
    nodes.close();
  }
}
