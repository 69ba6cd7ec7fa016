import type { ClusterCache } from './cache.js';
import type { CachedCluster, ClusterDirectory } from './types.js';

/**
 * This replica's in-process copy of the cluster cache. `get` and `listActive` never touch
 * PostgreSQL; `get` falls back to one Redis read for a name it does not know yet (a cluster
 * registered on another replica a moment ago). A registration or change answered by this replica
 * is set here before its answer, so the next start message is scheduled with it; a full reload
 * that read its snapshot before that keeps it (see `mark`).
 */
export class LocalClusterDirectory implements ClusterDirectory {
  private readonly byName = new Map<string, CachedCluster>();
  /** The cache generation this copy reflects; null until first loaded. */
  generation: number | null = null;
  private readonly listeners = new Set<(name: string) => void>();
  /** How many times a cluster was set or deleted here, and the count at each name's last change. */
  private changes = 0;
  private readonly changedAt = new Map<string, number>();

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
    this.changedAt.set(cluster.name, ++this.changes);
    this.notify(cluster.name);
  }

  delete(name: string): void {
    this.changedAt.set(name, ++this.changes);
    if (this.byName.delete(name)) this.notify(name);
  }

  /** Where this copy stands: taken before a full read of the cache, and given to `replace` with what it read. */
  mark(): number {
    return this.changes;
  }

  /**
   * Replaces the whole copy (after a full read of the cache). Clusters set or deleted here since
   * `since` (the mark taken before the read) stay as they are: the snapshot may predate them (a
   * registration this replica answered while it was read).
   */
  replace(clusters: CachedCluster[], generation: number | null, since = this.changes): void {
    const newer = [...this.changedAt].filter(([, at]) => at > since).map(([name]) => [name, this.byName.get(name)] as const);
    const before = new Set(this.byName.keys());
    this.byName.clear();
    for (const cluster of clusters) this.byName.set(cluster.name, cluster);
    for (const [name, cluster] of newer) {
      if (cluster) this.byName.set(name, cluster);
      else this.byName.delete(name);
    }
    // With changes of its own kept, the copy is no snapshot of one generation: the next check reloads it.
    this.generation = newer.length > 0 ? null : generation;
    for (const name of new Set([...before, ...this.byName.keys()])) this.notify(name);
  }

  private notify(name: string): void {
    for (const listener of this.listeners) listener(name);
  }
}
