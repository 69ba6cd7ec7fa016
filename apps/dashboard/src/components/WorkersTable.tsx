import { useQuery } from '@tanstack/react-query';
import { workersQuery } from '../api/console';
import { formatAge, formatClock, formatCount, formatDuration } from '../lib/format';
import { href } from '../lib/router';
import { useNow } from '../lib/use-now';
import { StaleBadge } from './Badges';
import { Empty, ErrorNotice, Loading } from './States';

/** Every worker that polled this cluster in the last hour, what it runs now, and how it fared. */
export function WorkersTable({ cluster }: { cluster: string }) {
  const now = useNow(5_000);
  const list = useQuery(workersQuery(cluster));
  if (list.isPending) return <Loading what="workers" />;
  if (list.error) return <ErrorNotice error={list.error} title="Could not load the workers" />;
  const workers = list.data.workers;
  if (workers.length === 0) return <Empty>No worker polled this cluster in the last hour.</Empty>;
  const stale = workers.filter((w) => w.stale).length;
  return (
    <>
      {stale > 0 ? (
        <div className="callout callout--warn" role="status">
          <span aria-hidden="true">⚠ </span>
          {stale === 1 ? '1 worker has' : `${stale} workers have`} not polled for {formatDuration(list.data.staleAfterMs)} and
          hold no build: stopped, or cut off from the broker.
        </div>
      ) : null}
      <div className="table-wrap">
        <table className="table table--cards">
          <caption className="sr-only">Workers seen in the last hour</caption>
          <thead>
            <tr>
              <th scope="col">Worker</th>
              <th scope="col">Address</th>
              <th scope="col">Version</th>
              <th scope="col" className="num">
                Last poll
              </th>
              <th scope="col">Running now</th>
              <th scope="col" className="num">
                Done
              </th>
              <th scope="col" className="num">
                Failed
              </th>
            </tr>
          </thead>
          <tbody>
            {workers.map((w) => (
              <tr key={w.workerId} className={w.stale ? 'row--alert' : undefined}>
                <th scope="row" className="card-title mono">
                  {w.workerId} {w.stale ? <StaleBadge /> : null}
                </th>
                <td className="mono" data-label="Address">
                  {w.address || '—'}
                </td>
                <td data-label="Version">{w.version || <span className="muted">unknown</span>}</td>
                <td className="num" data-label="Last poll" title={formatClock(w.lastPollAt)}>
                  {formatAge(w.lastPollAt, now)}
                </td>
                <td data-label="Running now">
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
                </td>
                <td className="num" data-label="Done">
                  {formatCount(w.done)}
                </td>
                <td className={`num${w.failed > 0 ? ' text-danger' : ''}`} data-label="Failed">
                  {formatCount(w.failed)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
