import { runRole } from '../lib/role.js';
import { JsonClient } from '../lib/http.js';
import { concurrentLoop } from '../lib/measure.js';
import { wallNow } from '../lib/log.js';
import { rulesMessage, startMessage } from '../lib/payload.js';

export interface RulesConfig {
  baseUrl: string;
  token: string;
  cluster: string;
  /** builds posted per variant (measured) */
  builds: number;
  warmup: number;
  concurrency: number;
  /** posts per chunk; the variants alternate chunk by chunk */
  chunk: number;
  firstBuildId: number;
}

export interface VariantResult {
  /** post round trips, ms */
  latencies: number[];
  /** wall time of this variant's chunks, ms */
  ms: number;
  errors: number;
  firstError: string;
}

export type RulesResult = Record<'plain' | 'rules', VariantResult>;

// Screwdriver's posts, the same start messages with and without blockedBy/collapse, chunk by
// chunk in turns on one connection pool, so both meet the same broker, Redis and backlog.
runRole<RulesConfig, RulesResult>(async (config) => {
  const client = new JsonClient(config.baseUrl, { maxSockets: config.concurrency });
  const result: RulesResult = {
    plain: { latencies: [], ms: 0, errors: 0, firstError: '' },
    rules: { latencies: [], ms: 0, errors: 0, firstError: '' },
  };
  let nextId = config.firstBuildId;
  const chunk = async (variant: 'plain' | 'rules', count: number, measured: boolean) => {
    const ids = Array.from({ length: count }, () => nextId++);
    const bodies = ids.map((id) =>
      JSON.stringify(variant === 'rules' ? rulesMessage(id, config.cluster) : startMessage(id, config.cluster)),
    );
    const into = result[variant];
    const began = wallNow();
    await concurrentLoop(count, config.concurrency, async (i) => {
      const sent = wallNow();
      const answer = await client.request<{ state: string }>('POST', '/v1/queue/message', {
        rawBody: bodies[i]!,
        token: config.token,
      });
      if (!measured) return;
      into.latencies.push(wallNow() - sent);
      // Nothing runs that the rules messages name in blockedBy: each is let go and queued.
      if (answer.status !== 201 || answer.body.state !== 'queued') {
        into.errors++;
        into.firstError ||= `${answer.status} ${answer.text.slice(0, 300)}`;
      }
    });
    if (measured) into.ms += wallNow() - began;
  };
  // Warm-up (not measured): connections, token caches, JIT, the rules scripts loaded.
  await chunk('plain', config.warmup, false);
  await chunk('rules', config.warmup, false);
  return async () => {
    for (let done = 0; done < config.builds; done += config.chunk) {
      const count = Math.min(config.chunk, config.builds - done);
      // Which variant goes first alternates too.
      const order = (done / config.chunk) % 2 === 0 ? (['plain', 'rules'] as const) : (['rules', 'plain'] as const);
      for (const variant of order) await chunk(variant, count, true);
    }
    client.close();
    return result;
  };
});
