import { Children, Fragment, type ReactNode } from 'react';
import type { BuildState } from '@buildcluster/protocol';

export function ActiveBadge({ active }: { active: boolean }) {
  return <span className={`badge ${active ? 'badge--ok' : 'badge--muted'}`}>{active ? 'active' : 'inactive'}</span>;
}

const STATE_TONE: Record<BuildState, string> = {
  pending: 'badge--warn',
  blocked: 'badge--warn',
  frozen: 'badge--muted',
  queued: 'badge--info',
  leased: 'badge--accent',
  acked: 'badge--ok',
  cancelled: 'badge--muted',
  dead: 'badge--danger',
};

export function BuildStateBadge({ state }: { state: BuildState }) {
  return <span className={`badge ${STATE_TONE[state]}`}>{state}</span>;
}

/** The "backlog but nobody polls" warning, shown in tables and on the detail page. */
export function NoWorkerBadge() {
  return (
    <span className="badge badge--danger" title="Builds are queued but no worker polled in the last minute">
      <span aria-hidden="true">⚠ </span>no worker
    </span>
  );
}

/** Dispatch paused: builds queue, workers get nothing. */
export function PausedBadge({ note }: { note: string }) {
  return (
    <span className="badge badge--warn" title={`Dispatch paused: ${note}`}>
      paused
    </span>
  );
}

/** Workers seen in the last hour that stopped polling and hold no lease. */
export function StaleBadge({ count }: { count?: number }) {
  return (
    <span className="badge badge--danger" title="A worker stopped polling (no poll for a minute and no live lease)">
      {count === undefined ? 'stale' : count === 1 ? '1 stale worker' : `${count} stale workers`}
    </span>
  );
}

/** Badges side by side, a space between each; those given as null or false are left out. */
export function Spaced({ children }: { children: ReactNode }) {
  return Children.toArray(children).map((badge, i) => (
    <Fragment key={i}>
      {i > 0 ? ' ' : null}
      {badge}
    </Fragment>
  ));
}
