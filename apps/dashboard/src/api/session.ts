import { createStore } from '../lib/store';

/**
 * The signed-in admin's API token. Kept in sessionStorage (gone when the tab closes, never in
 * localStorage) and shared with the rest of the app through a tiny subscribe/get store.
 */
const STORAGE_KEY = 'buildcluster.adminToken';

export interface TokenClaims {
  username: string | null;
  scope: string[];
  /** epoch ms, or null when the token carries no exp */
  expiresAt: number | null;
}

export interface SessionState {
  token: string | null;
  claims: TokenClaims | null;
  /** Why the last session ended (shown on the sign-in page), e.g. an expired token. */
  signedOutReason: string | null;
}

/** Reads a JWT's payload without verifying it: the broker verifies; this is only for display. */
export function decodeClaims(token: string): TokenClaims | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    );
    const payload = JSON.parse(json) as { username?: unknown; scope?: unknown; exp?: unknown };
    return {
      username: typeof payload.username === 'string' ? payload.username : null,
      scope: Array.isArray(payload.scope) ? payload.scope.filter((s): s is string => typeof s === 'string') : [],
      expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : null,
    };
  } catch {
    return null;
  }
}

function storage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}

function load(): SessionState {
  const token = storage()?.getItem(STORAGE_KEY) ?? null;
  return { token, claims: token ? decodeClaims(token) : null, signedOutReason: null };
}

/** Observable session state; `useStore(sessionStore)` in components. */
export const sessionStore = createStore<SessionState>(load());
const set = sessionStore.set;

export const session = {
  get: (): SessionState => sessionStore.get(),
  signIn(token: string): void {
    const trimmed = token.trim().replace(/^Bearer\s+/i, '');
    storage()?.setItem(STORAGE_KEY, trimmed);
    set({ token: trimmed, claims: decodeClaims(trimmed), signedOutReason: null });
  },
  /** Ends the session; `reason` is shown on the sign-in page. */
  signOut(reason: string | null = null): void {
    storage()?.removeItem(STORAGE_KEY);
    const state = sessionStore.get();
    if (state.token === null && state.signedOutReason === reason) return;
    set({ token: null, claims: null, signedOutReason: reason });
  },
  /** Re-reads sessionStorage (tests, or another part of the page that changed it). */
  reload(): void {
    set(load());
  },
};

/**
 * The quick-start link signs in directly: `/#token=<jwt>`. Reads the token, stores it, and removes it
 * from the address bar (and from history) so it is not bookmarked or shared by accident.
 */
export function consumeTokenFromUrl(location: Location = window.location, history: History = window.history): boolean {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (!match?.[1]) return false;
  session.signIn(decodeURIComponent(match[1]));
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  return true;
}
