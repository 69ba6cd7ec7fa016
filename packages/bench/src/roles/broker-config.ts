import type { ClusterCredentials } from '../lib/keys.js';

export interface BrokerProducerConfig {
  baseUrl: string;
  /** sdapi token */
  token: string;
  jobs: number;
  concurrency: number;
  /** builds go to these clusters in turn (buildClusterName) */
  clusters: string[];
  /** warm-up builds use ids firstBuildId .. firstBuildId+warmup-1; measured ones follow */
  firstBuildId: number;
  warmup: number;
}

export interface BrokerWorkerConfig {
  baseUrl: string;
  clusters: ClusterCredentials[];
  pollersPerCluster: number;
  /** poll batch size (`max`) */
  max: number;
  waitMs: number;
  /** stop after this many builds acked, over all clusters, after `warmup` builds */
  jobs: number;
  warmup: number;
}
