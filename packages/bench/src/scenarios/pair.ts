import { startRole, rolePath } from '../lib/role.js';
import type { RoleResult } from '../lib/measure.js';
import { nodeDeltas, redisPerBuild, type NodeDelta, type RedisNodes, type RedisPerBuild } from '../lib/redis-nodes.js';
import { cpuSeconds, stopChild } from '../lib/processes.js';
import { round } from '../lib/stats.js';

/** One end-to-end run: a producer role and a consumer role started together. */
export interface PairResult {
  jobs: number;
  seconds: number;
  perSecond: number;
  producer: RoleResult;
  consumer: RoleResult;
  /** Broker runs: builds per poll answer (batching; each poll is one request, each batch one ack). */
  buildsPerPoll?: number;
  /** The measured window on the monotonic clock (µs), to cut a CPU profile to it. */
  monotonicUs: { from: number; to: number };
  /** CPU used during the run as % of one core, per process ("server" is the broker, its replicas summed). */
  cpu: { producer: number; consumer: number; redis: number; server?: number };
  /** Each Redis node's CPU seconds and commands during the measured window. */
  redisNodes: NodeDelta[];
  /** Redis commands and CPU µs per build over the measured window (from `redisNodes`). */
  redisPerBuild: RedisPerBuild;
}

export async function runPair<P, Q>(options: {
  producer: string;
  consumer: string;
  producerConfig: P;
  consumerConfig: Q;
  /** Every Redis node the system uses (one, or a cluster's), sampled at both ends of the window. */
  redis: RedisNodes;
  /** The broker processes (replicas), when the system under test has them. */
  serverPids?: number[];
  timeoutMs: number;
  label: string;
}): Promise<PairResult> {
  const consumer = startRole<Q, RoleResult>(rolePath(options.consumer), options.consumerConfig);
  const producer = startRole<P, RoleResult>(rolePath(options.producer), options.producerConfig);
  try {
    await withTimeout(
      Promise.all([consumer.ready, producer.ready]),
      options.timeoutMs,
      `${options.label}: the warm-up did not finish`,
    );
    const serverCpu = () => (options.serverPids ?? []).reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const redis0 = await options.redis.sample();
    const serverCpu0 = serverCpu();
    const from = Number(process.hrtime.bigint() / 1000n);
    consumer.go();
    producer.go();
    // A failed post never reaches the consumer, which would then wait for it until the timeout.
    const produced = producer.done.then((r) => {
      if (r.errors > 0) throw new Error(`${options.label}: ${r.errors} posts failed (${String(r.extra?.firstError)})`);
      return r;
    });
    const [producerResult, consumerResult] = await withTimeout(
      Promise.all([produced, consumer.done]),
      options.timeoutMs,
      `${options.label}: the measured run did not finish`,
    );
    const to = Number(process.hrtime.bigint() / 1000n);
    // N in and N out: with a backlog the consumer may finish its N before the producer does.
    const seconds = (Math.max(consumerResult.lastAt, producerResult.lastAt) - producerResult.firstAt) / 1000;
    const redisNodes = nodeDeltas(redis0, await options.redis.sample());
    const redisCpu = redisNodes.reduce((sum, node) => sum + node.cpuSeconds, 0);
    const serverSeconds = options.serverPids ? serverCpu() - serverCpu0 : undefined;
    const pct = (cpu: number) => round((100 * cpu) / seconds);
    return {
      jobs: consumerResult.count,
      seconds: round(seconds, 3),
      perSecond: round(consumerResult.count / seconds),
      monotonicUs: { from, to },
      producer: producerResult,
      consumer: consumerResult,
      cpu: {
        producer: pct(producerResult.cpuSeconds),
        consumer: pct(consumerResult.cpuSeconds),
        redis: pct(redisCpu),
        ...(serverSeconds !== undefined ? { server: pct(serverSeconds) } : {}),
      },
      redisNodes,
      redisPerBuild: redisPerBuild(redisNodes, consumerResult.count),
    };
  } finally {
    // Roles exit by themselves after reporting; give them a moment, then make sure.
    await Promise.all([producer, consumer].map((role) => stopChild(role.child, 3000)));
  }
}

/** Rejects with `what` (and the limit) when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
