import { queryOptions, type QueryKey } from '@tanstack/react-query';
import { api } from './client';

/** What a read may tune besides its key and path. */
export interface GetQueryTuning {
  refetchInterval?: number;
  staleTime?: number;
  retry?: boolean;
}

/**
 * The query of one broker read: GET `path` under `queryKey`, typed as `T`. Every api module
 * builds its queries with it, so the key, the call and the tuning read as one line each.
 */
export function getQuery<T, K extends QueryKey = QueryKey>(queryKey: K, path: string, tuning: GetQueryTuning = {}) {
  return queryOptions<T, Error, T, K>({ queryKey, queryFn: () => api.get<T>(path), ...tuning });
}
