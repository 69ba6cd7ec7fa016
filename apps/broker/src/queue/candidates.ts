import type { StartMessage } from '@buildcluster/protocol';
import type { CachedCluster, ClusterDirectory } from '../clusters/types.js';
import { requestedClusterName } from './select.js';

/**
 * The clusters `selectCluster` chooses among: every cluster this replica knows (the pool keeps
 * only active ones), plus the requested one read from Redis when it was registered on another
 * replica a moment ago. Inactive requested clusters are included so rule 2 can fall through.
 */
export async function candidateClusters(clusters: ClusterDirectory, message: StartMessage): Promise<CachedCluster[]> {
  const known = clusters.list();
  const requested = requestedClusterName(message);
  if (requested !== null && !known.some((c) => c.name === requested)) {
    const found = await clusters.get(requested);
    if (found) return [...known, found];
  }
  return known;
}
