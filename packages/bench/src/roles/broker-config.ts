import type { ClusterCredentials } from '../lib/keys.js';

/** `screwdriver`: the ~2 KB message Screwdriver's API sends (the peers carry it too); `small`: the ~300-byte one. */
export type PayloadKind = 'small' | 'screwdriver';

export interface BrokerProducerConfig {
  /** broker replicas; post i goes to baseUrls[i % n] */
  baseUrls: string[];
  /** sdapi token */
  token: string;
  jobs: number;
  concurrency: number;
  /** builds go to these clusters in turn (buildClusterName) */
  clusters: string[];
  /** warm-up builds use ids firstBuildId .. firstBuildId+warmup-1; measured ones follow */
  firstBuildId: number;
  warmup: number;
  payload: PayloadKind;
}

/** How a broker worker acks a batch: `carried` by its next poll, or `apart`, by a call of its own. */
export type AckMode = 'carried' | 'apart';

export interface BrokerWorkerConfig {
  /** broker replicas; poller k polls and acks at baseUrls[k % n] */
  baseUrls: string[];
  clusters: ClusterCredentials[];
  pollersPerCluster: number;
  /** poll batch size (`max`) */
  max: number;
  waitMs: number;
  acks: AckMode;
  /** stop after this many builds acked, over all clusters, after `warmup` builds */
  jobs: number;
  warmup: number;
}
