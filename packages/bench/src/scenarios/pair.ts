import type { Redis } from 'ioredis';
import { startRole, rolePath } from '../lib/role.js';
import type { RoleResult } from '../lib/measure.js';
import { redisCpuSeconds } from '../lib/redis-server.js';
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
  /** CPU used during the run as % of one core, per process ("server" is the broker when there is one). */
  cpu: { producer: number; consumer: number; redis: number; server?: number };
}

export async function runPair<P, Q>(options: {
  producer: string;
  consumer: string;
  producerConfig: P;
  consumerConfig: Q;
  redis: Redis;
  /** The broker process, when the system under test has one. */
  serverPid?: number;
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
    const redisCpu0 = await redisCpuSeconds(options.redis);
    const serverCpu0 = options.serverPid ? cpuSeconds(options.serverPid) : 0;
    const from = Number(process.hrtime.bigint() / 1000n);
    consumer.go();
    producer.go();
    const [producerResult, consumerResult] = await withTimeout(
      Promise.all([producer.done, consumer.done]),
      options.timeoutMs,
      `${options.label}: the measured run did not finish`,
    );
    const to = Number(process.hrtime.bigint() / 1000n);
    // N in and N out: with a backlog the consumer may finish its N before the producer does.
    const seconds = (Math.max(consumerResult.lastAt, producerResult.lastAt) - producerResult.firstAt) / 1000;
    const redisCpu = (await redisCpuSeconds(options.redis)) - redisCpu0;
    const serverCpu = options.serverPid ? cpuSeconds(options.serverPid) - serverCpu0 : undefined;
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
        ...(serverCpu !== undefined ? { server: pct(serverCpu) } : {}),
      },
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
