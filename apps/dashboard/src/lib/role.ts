import { sessionStore } from '../api/session';
import { useStore } from './store';

/**
 * Whether the signed-in token may change anything. A `viewer` token (a cluster maintainer) sees
 * every page; buttons that would only earn a 403 are not shown to it. The broker enforces the
 * same rule: this only keeps the page honest.
 */
export function canWrite(scope: readonly string[] | undefined): boolean {
  return !!scope?.includes('admin');
}

export function useCanWrite(): boolean {
  const { claims } = useStore(sessionStore);
  return canWrite(claims?.scope);
}
