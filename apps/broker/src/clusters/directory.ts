import type { ClusterCache } from './cache.js';
import type { CachedCluster, ClusterDirectory } from './types.js';

/**
 * This replica's in-process copy of the cluster cache. `get` and `listActive` never touch
 * PostgreSQL; `get` falls back to one Redis read for a name it does not know yet (a cluster
 * registered on another replica a moment ago).
 */
export class LocalClusterDirectory implements ClusterDirectory {
  private readonly byName = new Map<string, CachedCluster>();
  /** The cache generation this copy reflects; null until first loaded. */
  generation: number | null = null;
  private readonly listeners = new Set<(name: string) => void>();

  constructor(private readonly cache: ClusterCache) {}

  async get(name: string): Promise<CachedCluster | null> {
    const known = this.byName.get(name);
    if (known) return known;
    const cached = await this.cache.read(name);
    if (cached) this.set(cached);
    return cached;
  }

  async listActive(): Promise<CachedCluster[]> {
    return this.list().filter((c) => c.isActive);
  }

  list(): CachedCluster[] {
    return [...this.byName.values()];
  }

  /** Called with a cluster's name whenever this copy of it changes (e.g. to drop cached tokens). */
  onChange(listener: (name: string) => void): void {
    this.listeners.add(listener);
  }

  set(cluster: CachedCluster): void {
    this.byName.set(cluster.name, cluster);
    this.notify(cluster.name);
  }

  delete(name: string): void {
    if (this.byName.delete(name)) this.notify(name);
  }

  /** Replaces the whole copy (after a full read of the cache). */
  replace(clusters: CachedCluster[], generation: number | null): void {
    const before = new Set(this.byName.keys());
    this.byName.clear();
    for (const cluster of clusters) this.byName.set(cluster.name, cluster);
    this.generation = generation;
    for (const name of new Set([...before, ...this.byName.keys()])) this.notify(name);
  }

  private notify(name: string): void {
    for (const listener of this.listeners) listener(name);
  }
}
