import { useQuery } from '@tanstack/react-query';
import type { WorkerList } from '@buildcluster/protocol';
import { workersQuery } from '../api/console';
import { formatAge, formatClock, formatCount, formatDuration } from '../lib/format';
import { href } from '../lib/router';
import { useNow } from '../lib/use-now';
import { StaleBadge } from './Badges';
import { Cell } from './Cells';
import { DataTable } from './DataTable';
import { QueryState } from './States';

type WorkersSeenProps = Pick<WorkerList, 'workers' | 'staleAfterMs'> & { now: number };

/** Every worker that polled this cluster in the last hour, what it runs now, and how it fared. */
export function WorkersTable({ cluster }: { cluster: string }) {
  const now = useNow(5_000);
  const list = useQuery(workersQuery(cluster));
  return (
    <QueryState
      query={list}
      what="workers"
      failure="Could not load the workers"
      isEmpty={(data) => data.workers.length === 0}
      empty="No worker polled this cluster in the last hour."
    >
      {({ workers, staleAfterMs }) => <WorkersSeen workers={workers} staleAfterMs={staleAfterMs} now={now} />}
    </QueryState>
  );
}

function WorkersSeen({ workers, staleAfterMs, now }: WorkersSeenProps) {
  const stale = workers.filter((w) => w.stale).length;
  return (
    <>
      {stale > 0 ? (
        <div className="callout callout--warn" role="status">
          <span aria-hidden="true">⚠ </span>
          {stale === 1 ? '1 worker has' : `${stale} workers have`} not polled for {formatDuration(staleAfterMs)} and hold no
          build: stopped, or cut off from the broker.
        </div>
      ) : null}
      <DataTable
        caption="Workers seen in the last hour"
        className="table--cards"
        columns={[
          'Worker',
          'Address',
          'Version',
          { label: 'Last poll', num: true },
          'Running now',
          { label: 'Done', num: true },
          { label: 'Failed', num: true },
        ]}
      >
        {workers.map((w) => (
          <tr key={w.workerId} className={w.stale ? 'row--alert' : undefined}>
            <th scope="row" className="card-title mono">
              {w.workerId} {w.stale ? <StaleBadge /> : null}
            </th>
            <Cell className="mono" label="Address">
              {w.address || '—'}
            </Cell>
            <Cell label="Version">{w.version || <span className="muted">unknown</span>}</Cell>
            <Cell num label="Last poll" title={formatClock(w.lastPollAt)}>
              {formatAge(w.lastPollAt, now)}
            </Cell>
            <Cell label="Running now">
              {w.running.length === 0 ? (
                <span className="muted">idle</span>
              ) : (
                w.running.map((r) => (
                  <div key={r.leaseId}>
                    <a href={href.builds(r.buildId)}>build {r.buildId}</a>
                    {r.type === 'stop' ? ' (stop)' : ''} · attempt {r.attempt}
                    {r.since ? <span className="cell-sub">since {formatAge(r.since, now).replace(/ ago$/, '')}</span> : null}
                  </div>
                ))
              )}
            </Cell>
            <Cell num label="Done">
              {formatCount(w.done)}
            </Cell>
            <Cell num className={w.failed > 0 ? 'text-danger' : undefined} label="Failed">
              {formatCount(w.failed)}
            </Cell>
          </tr>
        ))}
      </DataTable>
    </>
  );
}
