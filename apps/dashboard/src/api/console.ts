import type {
  AwaitingCluster,
  BuildSearchResult,
  BulkCancelBody,
  BulkResult,
  ImportPreview,
  ImportResult,
  PauseMode,
  PauseState,
  WaitTimesReport,
  WhoAmI,
  WorkerList,
} from '@buildcluster/protocol';
import { api } from './client';
import { getQuery } from './get-query';

/** The operators' console: wait times, workers, pauses, bulk actions, build search, imports. */
const queue = (cluster: string) => `/v4/queues/${encodeURIComponent(cluster)}`;

export const consoleKeys = {
  all: ['console'] as const,
  me: () => [...consoleKeys.all, 'me'] as const,
  waitTimes: (cluster: string | null) => [...consoleKeys.all, 'wait', cluster ?? '*'] as const,
  workers: (cluster: string) => [...consoleKeys.all, 'workers', cluster] as const,
  pause: (cluster: string) => [...consoleKeys.all, 'pause', cluster] as const,
  search: (query: string) => [...consoleKeys.all, 'search', query] as const,
  awaiting: () => [...consoleKeys.all, 'awaiting'] as const,
};

export const meQuery = () => getQuery<WhoAmI>(consoleKeys.me(), '/v4/me', { staleTime: 60_000 });

/** Figures and the 24 h history behind the wait-time chart, of one cluster or of all. */
export const waitTimesQuery = (cluster: string | null) =>
  getQuery<WaitTimesReport>(
    consoleKeys.waitTimes(cluster),
    `/v4/waittimes${cluster ? `?cluster=${encodeURIComponent(cluster)}` : ''}`,
    { refetchInterval: 15_000 },
  );

export const workersQuery = (cluster: string) =>
  getQuery<WorkerList>(consoleKeys.workers(cluster), `${queue(cluster)}/workers`, { refetchInterval: 5_000 });

export const pauseQuery = (cluster: string) => getQuery<PauseState>(consoleKeys.pause(cluster), `${queue(cluster)}/pause`);

export const pauseCluster = (cluster: string, note: string, mode: PauseMode) =>
  api.post<PauseState>(`${queue(cluster)}/pause`, { note, mode });
export const resumeCluster = (cluster: string, note: string) =>
  api.post<PauseState>(`${queue(cluster)}/resume`, note ? { note } : {});

export const bulkRequeueDead = (cluster: string, buildIds: number[] | null, dryRun: boolean) =>
  api.post<BulkResult>(`${queue(cluster)}/dead/requeue`, { ...(buildIds ? { buildIds } : {}), dryRun });
export const bulkPurgeDead = (cluster: string, before: string, dryRun: boolean) =>
  api.post<BulkResult>(`${queue(cluster)}/dead/purge`, { before, dryRun });
export const bulkCancel = (body: BulkCancelBody) => api.post<BulkResult>('/v4/builds/cancel', body);

export interface SearchCriteria {
  buildId?: string;
  pipeline?: string;
  job?: string;
  eventId?: string;
  cluster?: string;
  state?: string;
}

export function searchString(c: SearchCriteria): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(c)) if (typeof v === 'string' && v.trim() !== '') params.set(k, v.trim());
  return params.toString();
}

export const buildSearchQuery = (query: string) =>
  getQuery<BuildSearchResult>(consoleKeys.search(query), `/v4/builds?${query}`, { retry: false });

export const awaitingQuery = () => getQuery<AwaitingCluster[]>(consoleKeys.awaiting(), '/v4/buildClusters/awaiting');

export const previewImport = (apiUrl: string, token: string) =>
  api.post<ImportPreview>('/v4/buildClusters/import/preview', { apiUrl, token });
export const runImport = (apiUrl: string, token: string, names: string[]) =>
  api.post<ImportResult>('/v4/buildClusters/import', { apiUrl, token, names });
export const forgetAwaiting = (name: string) => api.delete<void>(`/v4/buildClusters/awaiting/${encodeURIComponent(name)}`);
