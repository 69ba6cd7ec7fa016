import type { PairResult } from '../scenarios/pair.js';
import type { PostsResult } from '../scenarios/floor.js';
import type { LatencyFigures } from '../scenarios/broker-latency.js';
import type { RulesFigures } from '../scenarios/broker-rules.js';
import type { IdleFigures } from '../scenarios/broker-idle.js';
import type { GrowthFigures } from '../scenarios/broker-growth.js';
import type { ShardFigures } from '../scenarios/shards.js';
import type { ProfileSummary } from '../lib/cpu-profile.js';
import type { PeerName } from '../scenarios/peers.js';
import type { BenchOptions } from './options.js';

/** Everything one bench run measured; written as JSON next to the printed table. */
export interface BenchResults {
  startedAt: string;
  environment: Record<string, string>;
  options: Omit<BenchOptions, 'sections'> & { sections: string[] };
  peers: Partial<Record<PeerName, PairResult[]>>;
  /** by cluster count */
  broker: Record<string, PairResult[]>;
  /** Bytes of JSON of the start message every end-to-end run carries. */
  payloadBytes?: number;
  /** The floor section, one of each per round: a bare Fastify app, and the broker posting alone. */
  floor?: PostsResult[];
  /** The same app writing each post to Redis with one script before it answers: the durable floor. */
  durableFloor?: PostsResult[];
  brokerPostsAlone?: PostsResult[];
  latency?: LatencyFigures;
  rules?: RulesFigures;
  idle?: IdleFigures;
  growth?: GrowthFigures;
  shards?: ShardFigures;
  profile?: { clusters: number; run: PairResult; file: string; summary: ProfileSummary };
  /** The broker posting alone under the profiler: where a post's time goes. */
  profilePosts?: { run: PostsResult; file: string; summary: ProfileSummary };
  errors: string[];
}

export function medianOf(runs: Array<{ perSecond: number }> | undefined): number {
  if (!runs || runs.length === 0) return Number.NaN;
  const sorted = runs.map((r) => r.perSecond).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
