import { useState, type FormEvent } from 'react';
import { ApiError, request } from '../api/client';
import { decodeClaims, session, sessionStore } from '../api/session';
import { describedBy } from '../components/Field';
import { useStore } from '../lib/store';

/**
 * Sign-in with a Screwdriver admin API token. The token is checked against the broker before
 * it is kept, so a wrong or expired token is explained here rather than on the first page.
 */
export function SignInPage() {
  const { signedOutReason } = useStore(sessionStore);
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const value = token.trim().replace(/^Bearer\s+/i, '');
    const claims = decodeClaims(value);
    if (!claims) {
      setError('This is not a JWT (three base64url parts separated by dots).');
      return;
    }
    if (claims.expiresAt !== null && claims.expiresAt <= Date.now()) {
      setError(`This token expired at ${new Date(claims.expiresAt).toLocaleString()}. Ask for a new one.`);
      return;
    }
    if (!claims.scope.includes('admin') && !claims.scope.includes('viewer')) {
      setError(`This token's scope is [${claims.scope.join(', ')}]; the dashboard needs the admin or viewer scope.`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      session.signIn(value);
      await request('GET', '/v4/buildClusters');
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) {
        session.signOut();
        setError('The broker accepted the token but it lacks the admin or viewer scope.');
      } else if (err instanceof ApiError && err.status !== 401) {
        // The token may be fine; the broker is not. Keep the session and let the pages retry.
      } else {
        setError(err instanceof Error ? err.message : String(err));
      }
    } finally {
      setBusy(false);
    }
  }

  const shownError = error ?? signedOutReason;
  return (
    <main className="signin" id="main">
      <form className="signin__card" onSubmit={(event) => void submit(event)} noValidate aria-labelledby="signin-title">
        <h1 id="signin-title">Build clusters</h1>
        <p className="muted">
          Sign in with a Screwdriver API token that carries the admin scope (or viewer, to look without changing anything).
        </p>
        {shownError ? (
          <div className="callout callout--danger" role="alert" id="token-error">
            {shownError}
          </div>
        ) : null}
        <div className="field">
          <label htmlFor="token">API token</label>
          <textarea
            {...describedBy('token', shownError ?? undefined, 'token-hint')}
            aria-describedby={shownError ? 'token-error token-hint' : 'token-hint'}
            value={token}
            onChange={(e) => setToken(e.target.value)}
            rows={5}
            spellCheck={false}
            autoComplete="off"
            autoFocus
            placeholder="eyJhbGciOiJSUzI1NiIs…"
          />
          <p className="field__hint" id="token-hint">
            Kept in this tab only (sessionStorage) until you sign out or close the tab. The quick start prints a sign-in link that
            fills this in for you.
          </p>
        </div>
        <button type="submit" className="button button--primary" disabled={busy || token.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
