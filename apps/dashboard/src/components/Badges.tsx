import type { BuildState } from '@buildcluster/protocol';

export function ActiveBadge({ active }: { active: boolean }) {
  return <span className={`badge ${active ? 'badge--ok' : 'badge--muted'}`}>{active ? 'active' : 'inactive'}</span>;
}

const STATE_TONE: Record<BuildState, string> = {
  pending: 'badge--warn',
  blocked: 'badge--warn',
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
