import { useEffect, useState, type ReactNode } from 'react';
import { session, sessionStore } from '../api/session';
import { useStore } from '../lib/store';
import { formatRelative } from '../lib/format';
import { href, navigate, type Route } from '../lib/router';
import { useNow } from '../lib/use-now';
import { LiveIndicator } from './LiveIndicator';
import { Notices } from './Notices';
import { Dialog } from './Dialog';

const SHORTCUTS: Array<[string, string]> = [
  ['c', 'Clusters overview'],
  ['n', 'Register a cluster'],
  ['b', 'Builds'],
  ['/', 'Focus the search or filter field'],
  ['?', 'This help'],
];

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

/** Single-key shortcuts, ignored while typing or inside a dialog. */
function useShortcuts(openHelp: () => void) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      if (document.querySelector('dialog[open]')) return;
      const go: Record<string, () => void> = {
        c: () => navigate(href.clusters()),
        n: () => navigate(href.newCluster()),
        b: () => navigate(href.builds()),
        '/': () => document.querySelector<HTMLElement>('[data-shortcut-search]')?.focus(),
        '?': openHelp,
      };
      const action = go[event.key];
      if (action) {
        event.preventDefault();
        action();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [openHelp]);
}

export function Layout({ route, children }: { route: Route; children: ReactNode }) {
  const { claims } = useStore(sessionStore);
  const now = useNow(30_000);
  const [help, setHelp] = useState(false);
  useShortcuts(() => setHelp(true));
  const section = route.page === 'builds' ? 'builds' : 'clusters';
  const expiresSoon = claims?.expiresAt != null && claims.expiresAt - now < 10 * 60_000;
  return (
    <div className="app">
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href={href.clusters()}>
          <span className="brand__mark" aria-hidden="true" />
          Build clusters
        </a>
        <nav aria-label="Main" className="topbar__nav">
          <a href={href.clusters()} aria-current={section === 'clusters' ? 'page' : undefined}>
            Clusters
          </a>
          <a href={href.builds()} aria-current={section === 'builds' ? 'page' : undefined}>
            Builds
          </a>
        </nav>
        <div className="topbar__end">
          <LiveIndicator />
          <span
            className={`topbar__user${expiresSoon ? ' topbar__user--warn' : ''}`}
            title={claims?.expiresAt ? `Token expires ${new Date(claims.expiresAt).toLocaleString()}` : undefined}
          >
            {claims?.username ?? 'admin'}
            {claims?.expiresAt ? (
              <span className="muted"> · token {formatRelative(claims.expiresAt, now).replace(/^in /, 'expires in ')}</span>
            ) : null}
          </span>
          <button
            type="button"
            className="button button--ghost button--small"
            onClick={() => setHelp(true)}
            aria-label="Keyboard shortcuts"
          >
            ?
          </button>
          <button type="button" className="button button--small" onClick={() => session.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="page">
        {children}
      </main>
      <Notices />
      <Dialog
        open={help}
        title="Keyboard shortcuts"
        onClose={() => setHelp(false)}
        actions={
          <button type="button" className="button" onClick={() => setHelp(false)} autoFocus>
            Close
          </button>
        }
      >
        <dl className="shortcuts">
          {SHORTCUTS.map(([key, what]) => (
            <div key={key}>
              <dt>
                <kbd>{key}</kbd>
              </dt>
              <dd>{what}</dd>
            </div>
          ))}
        </dl>
      </Dialog>
    </div>
  );
}
