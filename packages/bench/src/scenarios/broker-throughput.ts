import { clusterNames, registerClusters } from '../lib/clusters.js';
import { progress } from '../lib/log.js';
import { formatInt } from '../lib/stats.js';
import type { AckMode, BrokerProducerConfig, BrokerWorkerConfig, PayloadKind } from '../roles/broker-config.js';
import { RedisNodes } from '../lib/redis-nodes.js';
import type { BenchContext } from './context.js';
import { runPair, type PairResult } from './pair.js';
import type { BrokerProcess } from '../lib/broker-process.js';
import type { JsonClient } from '../lib/http.js';
import type { ClusterCredentials } from '../lib/keys.js';

export interface ThroughputOptions {
  jobs: number;
  /** builds posted and acked before the measurement (not counted) */
  warmup: number;
  /** concurrent producers (posts in flight) */
  producers: number;
  /** long-polls in flight at least; at least one per cluster */
  pollers: number;
  max: number;
  /** how a batch is acked (default: carried by the next poll) */
  acks?: AckMode;
  firstBuildId?: number;
  /** the start message posted (default: the ~2 KB Screwdriver one the peers carry too) */
  payload?: PayloadKind;
}

/** Registers `count` clusters on a running broker. */
export async function setUpClusters(ctx: BenchContext, client: JsonClient, count: number): Promise<ClusterCredentials[]> {
  progress(`registering ${count} cluster(s)`);
  return registerClusters(client, ctx.adminToken, clusterNames(count));
}

/**
 * Broker end to end: builds posted over HTTP by `producers` concurrent loops, long-polled in
 * batches of `max` by workers of every cluster, acked per batch (by default carried by the next poll); timed from the first post to
 * the last ack. With several broker replicas, posts and pollers are spread over them; `redis`
 * names the nodes to sample (default: the bench's one Redis).
 */
export async function brokerThroughput(
  ctx: BenchContext,
  broker: BrokerProcess | BrokerProcess[],
  clusters: ClusterCredentials[],
  options: ThroughputOptions,
  label: string,
  redis?: RedisNodes,
): Promise<PairResult> {
  const brokers = Array.isArray(broker) ? broker : [broker];
  const producerConfig: BrokerProducerConfig = {
    baseUrls: brokers.map((b) => b.url),
    token: ctx.sdapiToken,
    jobs: options.jobs,
    warmup: options.warmup,
    concurrency: options.producers,
    clusters: clusters.map((c) => c.name),
    firstBuildId: options.firstBuildId ?? 1,
    payload: options.payload ?? 'screwdriver',
  };
  const workerConfig: BrokerWorkerConfig = {
    baseUrls: brokers.map((b) => b.url),
    clusters,
    pollersPerCluster: Math.max(1, Math.ceil(options.pollers / clusters.length)),
    max: options.max,
    waitMs: 5000,
    acks: options.acks ?? 'carried',
    jobs: options.jobs,
    warmup: options.warmup,
  };
  progress(`${label}: ${formatInt(options.jobs)} builds over ${clusters.length} cluster(s)`);
  const nodes = redis ?? new RedisNodes([`127.0.0.1:${ctx.redis.port}`]);
  try {
    const result = await runPair({
      producer: 'broker-producer',
      consumer: 'broker-worker',
      producerConfig,
      consumerConfig: workerConfig,
      redis: nodes,
      serverPids: brokers.map((b) => b.pid),
      timeoutMs: Math.max(180_000, options.jobs * 10),
      label,
    });
    const problems = [
      result.producer.errors ? `${result.producer.errors} failed posts (${String(result.producer.extra?.firstError)})` : '',
      result.consumer.errors ? `${result.consumer.errors} failed polls/acks (${String(result.consumer.extra?.firstError)})` : '',
      result.consumer.extra?.duplicates ? `${Number(result.consumer.extra.duplicates)} builds delivered twice` : '',
    ].filter(Boolean);
    const polls = Number(result.consumer.extra?.polls ?? 0);
    result.buildsPerPoll = polls > 0 ? Math.round((10 * result.jobs) / polls) / 10 : 0;
    progress(
      `${label}: ${formatInt(result.perSecond)} builds/s, ${result.buildsPerPoll} a poll (${result.seconds} s; cpu % broker ${result.cpu.server}, producer ${result.cpu.producer}, workers ${result.cpu.consumer}, redis ${result.cpu.redis})${problems.length ? ' — ' + problems.join('; ') : ''}`,
    );
    return result;
  } finally {
    if (!redis) nodes.close();
  }
}
