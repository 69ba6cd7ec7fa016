import { useSyncExternalStore } from 'react';

/** Hash routes: the broker serves one index.html, and links stay shareable. */
export type Route =
  | { page: 'clusters' }
  | { page: 'cluster-new' }
  | { page: 'cluster'; cluster: string }
  | { page: 'cluster-edit'; cluster: string }
  | { page: 'builds'; buildId: number | null }
  | { page: 'import' }
  | { page: 'not-found'; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\?.*$/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, second, third] = parts;
  if (parts.length === 0 || (first === 'clusters' && parts.length === 1)) return { page: 'clusters' };
  if (first === 'clusters' && second === 'new' && parts.length === 2) return { page: 'cluster-new' };
  if (first === 'clusters' && second === 'import' && parts.length === 2) return { page: 'import' };
  if (first === 'clusters' && second && parts.length === 2) return { page: 'cluster', cluster: second };
  if (first === 'clusters' && second && third === 'edit' && parts.length === 3) return { page: 'cluster-edit', cluster: second };
  if (first === 'builds' && parts.length <= 2) {
    const id = second === undefined ? null : Number(second);
    if (id === null || (Number.isSafeInteger(id) && id > 0)) return { page: 'builds', buildId: id };
  }
  return { page: 'not-found', path };
}

export const href = {
  clusters: () => '#/clusters',
  newCluster: () => '#/clusters/new',
  importClusters: () => '#/clusters/import',
  cluster: (name: string) => `#/clusters/${encodeURIComponent(name)}`,
  editCluster: (name: string) => `#/clusters/${encodeURIComponent(name)}/edit`,
  builds: (buildId?: number) => (buildId ? `#/builds/${buildId}` : '#/builds'),
};

export function navigate(to: string): void {
  if (window.location.hash !== to) window.location.hash = to;
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

export function useHash(): string {
  return useSyncExternalStore(subscribe, () => window.location.hash);
}
