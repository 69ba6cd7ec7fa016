import { startRole, rolePath } from '../lib/role.js';
import { progress } from '../lib/log.js';
import { percentile, round } from '../lib/stats.js';
import { stopChild } from '../lib/processes.js';
import type { BrokerProcess } from '../lib/broker-process.js';
import type { RulesConfig, RulesResult, VariantResult } from '../roles/broker-rules.js';
import type { BenchContext } from './context.js';
import { withTimeout } from './pair.js';

export interface VariantFigures {
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

export interface RulesFigures {
  builds: number;
  concurrency: number;
  plain: VariantFigures;
  rules: VariantFigures;
}

const figures = (v: VariantResult): VariantFigures => ({
  perSecond: v.ms > 0 ? Math.round((1000 * v.latencies.length) / v.ms) : 0,
  p50: round(percentile(v.latencies, 50), 2),
  p99: round(percentile(v.latencies, 99), 2),
  errors: v.errors,
});

/**
 * The cost of blockedBy on the post path: start messages with blockedBy and collapse (decided by
 * the rules-admit script, journalled until queued) against the same messages without, in turns
 * in one run.
 */
export async function brokerRules(
  ctx: BenchContext,
  broker: BrokerProcess,
  cluster: string,
  options: { builds: number; concurrency: number },
): Promise<RulesFigures> {
  progress(
    `blockedBy on the post path: ${options.builds} posts with and ${options.builds} without, ${options.concurrency} in flight`,
  );
  const config: RulesConfig = {
    baseUrl: broker.url,
    token: ctx.sdapiToken,
    cluster,
    builds: options.builds,
    warmup: 200,
    concurrency: options.concurrency,
    chunk: 250,
    firstBuildId: 1,
  };
  const role = startRole<RulesConfig, RulesResult>(rolePath('broker-rules'), config);
  try {
    await withTimeout(role.ready, 120_000, 'blockedBy cost: warm-up');
    role.go();
    const result = await withTimeout(role.done, 120_000 + options.builds * 20, 'blockedBy cost: posts did not finish');
    const out: RulesFigures = {
      builds: options.builds,
      concurrency: options.concurrency,
      plain: figures(result.plain),
      rules: figures(result.rules),
    };
    for (const v of ['plain', 'rules'] as const)
      if (result[v].errors > 0) throw new Error(`${v}: ${result[v].errors} posts failed (${result[v].firstError})`);
    progress(
      `blockedBy cost: without ${out.plain.perSecond} posts/s (p50 ${out.plain.p50}, p99 ${out.plain.p99} ms), with ${out.rules.perSecond} posts/s (p50 ${out.rules.p50}, p99 ${out.rules.p99} ms)`,
    );
    return out;
  } finally {
    await stopChild(role.child, 3000);
  }
}
