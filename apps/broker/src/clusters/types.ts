import type { ManagedBy, Provider, SignOption } from '@buildcluster/protocol';

/** A public key a cluster's tokens may be signed with; `validUntil` is set on the previous key during a rotation. */
export interface ClusterKey {
  pem: string;
  fingerprint: string;
  /** epoch ms after which this key is no longer accepted; null for the current key */
  validUntil: number | null;
  /**
   * The signOption tokens signed with this key are checked against, when it differs from the
   * cluster's current one (the previous key of a rotation keeps the options it was issued with).
   */
  signOption?: SignOption;
}

/**
 * What the hot paths (scheduling, token verification, polling) know about a cluster: read from the
 * Redis cache and an in-process copy, never from PostgreSQL.
 */
export interface CachedCluster {
  name: string;
  scmOrganization: string;
  scmContext: string;
  isActive: boolean;
  /** The queue's display name (the API's `queue` field): free to edit, never used as a Redis key. */
  queue: string;
  /**
   * The queue's identity in Redis, derived from the cluster's id and creation time: unique, never
   * edited, never reused by a cluster registered later under the same name (see queueKeyOf).
   */
  queueKey: string;
  managedBy: ManagedBy;
  weightage: number;
  provider: Provider | null;
  signOption: SignOption;
  keys: ClusterKey[];
}

export interface ClusterDirectory {
  /** The registered cluster (active or not), or null. Case-sensitive name. */
  get(name: string): Promise<CachedCluster | null>;
  /** Every active cluster. */
  listActive(): Promise<CachedCluster[]>;
  /** Every registered cluster this replica knows (active or not), from its in-process copy. */
  list(): CachedCluster[];
  /** Calls `listener` with a cluster's name whenever this replica's copy of it changes. */
  onChange?(listener: (name: string) => void): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    clusters: ClusterDirectory;
  }
}
