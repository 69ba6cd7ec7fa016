import { startRole, rolePath } from '../lib/role.js';
import type { RoleResult } from '../lib/measure.js';
import { progress, sleep } from '../lib/log.js';
import { freePort } from '../lib/ports.js';
import { cpuSeconds, stopChild } from '../lib/processes.js';
import { nodeDeltas, redisPerBuild, RedisNodes, type NodeDelta, type RedisPerBuild } from '../lib/redis-nodes.js';
import { formatInt, round } from '../lib/stats.js';
import type { BrokerProducerConfig } from '../roles/broker-config.js';
import { FLOOR_KEYS, type FloorConfig } from '../roles/floor-config.js';
import type { BenchContext } from './context.js';
import { withTimeout } from './pair.js';
import { warmupFor } from './peers.js';

/** Posts alone: the broker's load generator against one server, nobody polling. */
export interface PostsResult {
  jobs: number;
  seconds: number;
  perSecond: number;
  producer: RoleResult;
  /** CPU during the measured window as % of one core ("server" is the floor app or the broker). */
  cpu: { producer: number; server: number; redis?: number };
  /** Redis nodes' deltas over the window; empty for the bare floor, which has no Redis. */
  redisNodes: NodeDelta[];
  redisPerBuild: RedisPerBuild | null;
  /** The measured window on the monotonic clock (µs), to cut a CPU profile to it. */
  monotonicUs: { from: number; to: number };
}

/**
 * `jobs` posts of the ~2 KB start message by `roles/broker-producer.ts` (50 in flight, the sdapi
 * token) to `baseUrl`, timed from its first post to its last answer, as the throughput rows post.
 */
export async function postsAlone(
  ctx: BenchContext,
  options: { baseUrl: string; serverPid: number; clusters: string[]; jobs: number; redis?: RedisNodes; label: string },
): Promise<PostsResult> {
  const config: BrokerProducerConfig = {
    baseUrls: [options.baseUrl],
    token: ctx.sdapiToken,
    jobs: options.jobs,
    warmup: warmupFor(options.jobs),
    concurrency: 50,
    clusters: options.clusters,
    firstBuildId: 1,
    payload: 'screwdriver',
  };
  progress(`${options.label}: ${formatInt(options.jobs)} posts, nobody polling`);
  const producer = startRole<BrokerProducerConfig, RoleResult>(rolePath('broker-producer'), config);
  try {
    await withTimeout(producer.ready, 120_000, `${options.label}: the warm-up did not finish`);
    const redis0 = options.redis ? await options.redis.sample() : null;
    const server0 = cpuSeconds(options.serverPid);
    const from = Number(process.hrtime.bigint() / 1000n);
    producer.go();
    const result = await withTimeout(
      producer.done,
      Math.max(120_000, options.jobs * 5),
      `${options.label}: the posts did not finish`,
    );
    if (result.errors > 0)
      throw new Error(`${options.label}: ${result.errors} posts failed (${String(result.extra?.firstError)})`);
    const to = Number(process.hrtime.bigint() / 1000n);
    const seconds = (result.lastAt - result.firstAt) / 1000;
    const redisNodes = options.redis && redis0 ? nodeDeltas(redis0, await options.redis.sample()) : [];
    const pct = (cpu: number) => round((100 * cpu) / seconds);
    const run: PostsResult = {
      jobs: result.count,
      seconds: round(seconds, 3),
      perSecond: round(result.count / seconds),
      producer: result,
      cpu: {
        producer: pct(result.cpuSeconds),
        server: pct(cpuSeconds(options.serverPid) - server0),
        ...(options.redis ? { redis: pct(redisNodes.reduce((sum, n) => sum + n.cpuSeconds, 0)) } : {}),
      },
      redisNodes,
      redisPerBuild: options.redis ? redisPerBuild(redisNodes, result.count) : null,
      monotonicUs: { from, to },
    };
    progress(
      `${options.label}: ${formatInt(run.perSecond)} posts/s (${run.seconds} s; cpu % server ${run.cpu.server}, producer ${run.cpu.producer}${run.cpu.redis !== undefined ? `, redis ${run.cpu.redis}` : ''})`,
    );
    return run;
  } finally {
    await stopChild(producer.child, 3000);
  }
}

/**
 * The floor: the same posts to a bare Fastify app with the broker's server options
 * (roles/floor-server.ts); `durable`, the same app writing each post to the bench's Redis with one
 * script before answering it.
 */
export async function floorPosts(ctx: BenchContext, jobs: number, durable = false): Promise<PostsResult> {
  const port = await freePort();
  const server = startRole<FloorConfig, unknown>(rolePath('floor-server'), {
    port,
    ...(durable ? { redisUrl: ctx.redis.url } : {}),
  });
  const redis = durable ? new RedisNodes([`127.0.0.1:${ctx.redis.port}`]) : undefined;
  try {
    await withTimeout(server.ready, 60_000, 'floor: the server did not start');
    await sleep(200);
    return await postsAlone(ctx, {
      baseUrl: `http://127.0.0.1:${port}`,
      serverPid: server.child.pid!,
      clusters: ['c000'],
      jobs,
      ...(redis ? { redis } : {}),
      label: durable ? 'durable floor (Fastify + one Redis script a post)' : 'floor (bare Fastify)',
    });
  } finally {
    server.stop();
    await stopChild(server.child, 5000);
    if (redis) {
      redis.close();
      const control = ctx.redis.client('bench-control');
      await control.del(FLOOR_KEYS.stream, FLOOR_KEYS.states).finally(() => control.quit());
    }
  }
}

/** The broker posting alone: one cluster registered, nobody polling, the same posts as the floor. */
export async function brokerPostsAlone(
  ctx: BenchContext,
  broker: { url: string; pid: number },
  cluster: string,
  jobs: number,
): Promise<PostsResult> {
  const redis = new RedisNodes([`127.0.0.1:${ctx.redis.port}`]);
  try {
    return await postsAlone(ctx, {
      baseUrl: broker.url,
      serverPid: broker.pid,
      clusters: [cluster],
      jobs,
      redis,
      label: 'broker, posting alone',
    });
  } finally {
    redis.close();
  }
}
