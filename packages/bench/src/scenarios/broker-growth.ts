import { redisInfo } from '../lib/redis-server.js';
import { progress, sleep } from '../lib/log.js';
import { formatInt, mb, round } from '../lib/stats.js';
import { startRole, rolePath } from '../lib/role.js';
import { stopChild } from '../lib/processes.js';
import type { RoleResult } from '../lib/measure.js';
import type { BrokerProcess } from '../lib/broker-process.js';
import type { ClusterCredentials } from '../lib/keys.js';
import type { BrokerWorkerConfig } from '../roles/broker-config.js';
import type { BenchContext } from './context.js';
import { brokerThroughput, type ThroughputOptions } from './broker-throughput.js';
import { fillBacklog } from './backlog.js';
import { queueKeyOf } from '../lib/clusters.js';
import { withTimeout, type PairResult } from './pair.js';

export interface GrowthFigures {
  runs: Array<{ backlog: number; run: PairResult; fillPerSecond: number }>;
  /** builds drained (acked) after the last run, with no new posts */
  drainedBuilds: number;
  drainPerSecond: number;
  memory: {
    beforeMb: number;
    peakMb: number;
    afterMb: number;
    /** after the broker's BUILD_RETENTION_SECONDS passed: the settled builds' records expired */
    afterRetentionMb: number;
    keysAfterRetention: number;
    retentionSeconds: number;
    /** keys and stream length after everything was acked */
    keysAfter: number;
    streamLengthAfter: number;
    unackedAfter: number;
    keysAtPeak: number;
  };
}

const REDIS_KEY_PREFIX = 'bcb:';

async function usedMemory(ctx: BenchContext): Promise<{ bytes: number; keys: number }> {
  const redis = ctx.redis.client('bench-control');
  try {
    const memory = await redisInfo(redis, 'memory');
    return { bytes: Number(memory.used_memory), keys: await redis.dbsize() };
  } finally {
    redis.disconnect();
  }
}

/** The queue's counters: queued (depth), not yet acked (enqueued − acked, leases included), stream length. */
async function queueDepth(ctx: BenchContext, cluster: string): Promise<{ depth: number; unacked: number; streamLength: number }> {
  const redis = ctx.redis.client('bench-control');
  try {
    const queue = await queueKeyOf(redis, cluster, REDIS_KEY_PREFIX);
    const meta = await redis.hgetall(`${REDIS_KEY_PREFIX}q:{${queue}}:m`);
    const streamLength = await redis.xlen(`${REDIS_KEY_PREFIX}q:{${queue}}:s`).catch(() => 0);
    return { depth: Number(meta.depth ?? 0), unacked: Number(meta.enq ?? 0) - Number(meta.ack ?? 0), streamLength };
  } finally {
    redis.disconnect();
  }
}

/** Workers alone (no producer) until `jobs` builds are acked: how fast a backlog drains. */
async function drain(
  broker: BrokerProcess,
  clusters: ClusterCredentials[],
  jobs: number,
  pollers: number,
  max: number,
): Promise<RoleResult> {
  const config: BrokerWorkerConfig = {
    baseUrls: [broker.url],
    clusters,
    pollersPerCluster: pollers,
    max,
    waitMs: 2000,
    acks: 'carried',
    jobs,
    warmup: 0,
  };
  const role = startRole<BrokerWorkerConfig, RoleResult>(rolePath('broker-worker'), config);
  try {
    await withTimeout(role.ready, 60_000, 'drain workers: not ready');
    role.go();
    return await withTimeout(role.done, Math.max(300_000, jobs * 5), `drain of ${jobs} builds: not done`);
  } finally {
    await stopChild(role.child, 3000);
  }
}

/**
 * Throughput with a small and a large backlog already queued (the builds measured go through
 * HTTP as in the end-to-end runs; FIFO means the workers take the oldest builds), then the whole
 * backlog drained and Redis's memory compared with before.
 */
export async function brokerGrowth(
  ctx: BenchContext,
  broker: BrokerProcess,
  cluster: ClusterCredentials,
  options: { backlogs: number[]; throughput: ThroughputOptions; retentionSeconds: number },
): Promise<GrowthFigures> {
  const before = await usedMemory(ctx);
  const runs: GrowthFigures['runs'] = [];
  let nextBuildId = 10_000_000;
  for (const backlog of options.backlogs) {
    const { depth } = await queueDepth(ctx, cluster.name);
    const missing = Math.max(0, backlog - depth);
    progress(`growth: queueing ${formatInt(missing)} builds directly through the queue module (backlog ${formatInt(backlog)})`);
    const fill = await fillBacklog({
      redisUrl: ctx.redis.url,
      keyPrefix: REDIS_KEY_PREFIX,
      cluster: cluster.name,
      firstBuildId: nextBuildId,
      count: missing,
    });
    nextBuildId += missing;
    progress(`growth: backlog filled at ${formatInt(fill.perSecond)} builds/s`);
    const run = await brokerThroughput(
      ctx,
      broker,
      [cluster],
      { ...options.throughput, firstBuildId: nextBuildId },
      `growth, ${formatInt(backlog)} queued`,
    );
    nextBuildId += options.throughput.warmup + options.throughput.jobs;
    runs.push({ backlog, run, fillPerSecond: round(fill.perSecond) });
  }
  const peak = await usedMemory(ctx);
  // Everything not acked yet, the leases the last run's workers left behind included (they come
  // back after LEASE_MS, which the growth broker sets short).
  const { unacked } = await queueDepth(ctx, cluster.name);
  progress(`growth: draining ${formatInt(unacked)} unacked builds (workers only)`);
  const drained = await drain(broker, [cluster], unacked, options.throughput.pollers, options.throughput.max);
  const drainSeconds = (drained.lastAt - drained.firstAt) / 1000;
  // The drain's own last polls may have left leases behind: take those too, so nothing is unacked.
  for (let i = 0; i < 3; i++) {
    const left = await queueDepth(ctx, cluster.name);
    if (left.unacked <= 0) break;
    progress(`growth: ${formatInt(left.unacked)} builds still unacked; draining them as well`);
    await drain(broker, [cluster], left.unacked, options.throughput.pollers, options.throughput.max);
  }
  // Let the broker's fire-and-forget writes (directory expiry) land before reading memory.
  await sleep(2000);
  const after = await usedMemory(ctx);
  const { streamLength, unacked: unackedAfter } = await queueDepth(ctx, cluster.name);
  // Settled builds stay known (GET /v4/builds) for the retention; wait it out and let Redis's
  // expiry cycle free them, to tell the retention apart from anything that would never go.
  progress(`growth: waiting for the ${options.retentionSeconds} s build retention to pass`);
  await sleep(options.retentionSeconds * 1000);
  let expired = await usedMemory(ctx);
  for (let i = 0; i < 60 && expired.keys > before.keys + 100; i++) {
    await sleep(2000);
    expired = await usedMemory(ctx);
  }
  const figures: GrowthFigures = {
    runs,
    drainedBuilds: drained.count,
    drainPerSecond: round(drained.count / drainSeconds),
    memory: {
      beforeMb: mb(before.bytes),
      peakMb: mb(peak.bytes),
      afterMb: mb(after.bytes),
      afterRetentionMb: mb(expired.bytes),
      keysAfterRetention: expired.keys,
      retentionSeconds: options.retentionSeconds,
      keysAfter: after.keys,
      streamLengthAfter: streamLength,
      unackedAfter,
      keysAtPeak: peak.keys,
    },
  };
  progress(
    `growth: drained ${formatInt(figures.drainedBuilds)} at ${formatInt(figures.drainPerSecond)} builds/s; Redis used_memory ${figures.memory.beforeMb} → ${figures.memory.peakMb} → ${figures.memory.afterMb} → ${figures.memory.afterRetentionMb} MB after the retention; keys after ${formatInt(after.keys)} → ${formatInt(expired.keys)}, stream length after ${formatInt(streamLength)}`,
  );
  return figures;
}
