import { startRole, rolePath } from '../lib/role.js';
import { progress } from '../lib/log.js';
import { percentile, round } from '../lib/stats.js';
import type { BrokerProcess } from '../lib/broker-process.js';
import type { ClusterCredentials } from '../lib/keys.js';
import type { LatencyConfig, LatencyResult } from '../roles/broker-latency.js';
import type { BenchContext } from './context.js';
import { withTimeout } from './pair.js';
import { stopChild } from '../lib/processes.js';

export interface LatencyFigures {
  builds: number;
  pollers: number;
  intervalMs: number;
  /** from the post's answer to the worker holding the build, ms */
  p50: number;
  p99: number;
  max: number;
  /** builds the worker had before the producer got its 201 */
  beforeAnswer: number;
  fromSent: { p50: number; p99: number; max: number };
  postRoundTrip: { p50: number; p99: number; max: number };
  duplicates: number;
  /** how many builds took longer than 5, 20 and 100 ms (post answered → worker has it) */
  over: { '5ms': number; '20ms': number; '100ms': number };
}

const summary = (values: number[]) => ({
  p50: round(percentile(values, 50), 2),
  p99: round(percentile(values, 99), 2),
  max: round(Math.max(...values), 2),
});

/** Dispatch latency with workers already waiting in long-polls (research/perf.md t5 rate: one build per 5 ms). */
export async function brokerLatency(
  ctx: BenchContext,
  broker: BrokerProcess,
  cluster: ClusterCredentials,
  options: { builds: number; pollers: number; intervalMs: number; firstBuildId: number },
): Promise<LatencyFigures> {
  progress(`dispatch latency: ${options.builds} builds, one every ${options.intervalMs} ms, ${options.pollers} waiting polls`);
  const config: LatencyConfig = {
    baseUrl: broker.url,
    sdapiToken: ctx.sdapiToken,
    cluster,
    pollers: options.pollers,
    builds: options.builds,
    warmup: 200,
    intervalMs: options.intervalMs,
    firstBuildId: options.firstBuildId,
  };
  const role = startRole<LatencyConfig, LatencyResult>(rolePath('broker-latency'), config);
  try {
    await withTimeout(role.ready, 120_000, 'dispatch latency: warm-up');
    role.go();
    const result = await withTimeout(
      role.done,
      120_000 + options.builds * options.intervalMs * 3,
      'dispatch latency: not all builds arrived',
    );
    const fromAnswer = result.fromAnswer.map((ms) => Math.max(0, ms));
    const figures: LatencyFigures = {
      builds: options.builds,
      pollers: options.pollers,
      intervalMs: options.intervalMs,
      ...summary(fromAnswer),
      beforeAnswer: result.fromAnswer.filter((ms) => ms < 0).length,
      fromSent: summary(result.fromSent),
      postRoundTrip: summary(result.postRoundTrip),
      duplicates: result.duplicates,
      over: {
        '5ms': fromAnswer.filter((ms) => ms > 5).length,
        '20ms': fromAnswer.filter((ms) => ms > 20).length,
        '100ms': fromAnswer.filter((ms) => ms > 100).length,
      },
    };
    progress(
      `dispatch latency: p50 ${figures.p50} ms, p99 ${figures.p99} ms, max ${figures.max} ms after the post's answer (${figures.beforeAnswer} arrived before it); from the post sent p50 ${figures.fromSent.p50} / p99 ${figures.fromSent.p99} ms`,
    );
    return figures;
  } finally {
    await stopChild(role.child, 3000);
  }
}
