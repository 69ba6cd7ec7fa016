import type { StartMessage } from '@buildcluster/protocol';
import type { CachedCluster, ClusterDirectory } from '../../clusters/types.js';
import { requestedClusterName } from './select.js';

/**
 * The clusters `selectCluster` chooses among: every cluster this replica knows (the pool keeps
 * only active ones), plus the requested one read from Redis when it was registered on another
 * replica a moment ago. Inactive requested clusters are included so rule 2 can fall through.
 * Clusters whose queue was found retired (deleted a moment ago, this copy not refreshed yet) are
 * left out.
 */
export async function candidateClusters(
  clusters: ClusterDirectory,
  message: StartMessage,
  retired: ReadonlySet<string> = new Set(),
): Promise<CachedCluster[]> {
  const known = clusters.list().filter((c) => !retired.has(c.queueKey));
  const requested = requestedClusterName(message);
  if (requested !== null && !known.some((c) => c.name === requested)) {
    const found = await clusters.get(requested);
    if (found && !retired.has(found.queueKey)) return [...known, found];
  }
  return known;
}

/** The display name of a queue key: its cluster's `queue`, or the key itself once the cluster is gone. */
export function queueName(clusters: ClusterDirectory, queueKey: string): string {
  return clusters.list().find((c) => c.queueKey === queueKey)?.queue ?? queueKey;
}
