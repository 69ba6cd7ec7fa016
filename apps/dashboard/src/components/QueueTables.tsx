import type { Lease, QueuedBuild } from '@buildcluster/protocol';
import { formatAge, formatClock, formatDuration } from '../lib/format';
import { href } from '../lib/router';
import { useNow } from '../lib/use-now';
import { DataTable } from './DataTable';
import { Empty } from './States';

/** Builds leased to workers right now, with a countdown to each lease's expiry. */
export function LeasesTable({ leases }: { leases: Lease[] }) {
  const now = useNow(1000);
  if (leases.length === 0) return <Empty>No build is leased right now.</Empty>;
  return (
    <DataTable
      caption="In-flight leases"
      className="table--cards"
      columns={['Build', 'Type', 'Worker', { label: 'Attempt', num: true }, { label: 'Lease expires', num: true }]}
    >
      {leases.map((lease) => {
        const left = Date.parse(lease.leaseExpiresAt) - now;
        return (
          <tr key={lease.leaseId}>
            <th scope="row" className="card-title">
              <a href={href.builds(lease.buildId)}>{lease.buildId}</a>
            </th>
            <td data-label="Type">{lease.type}</td>
            <td data-label="Worker">
              <code>{lease.workerId}</code>
            </td>
            <td className="num" data-label="Attempt">
              {lease.attempt}
            </td>
            <td
              className={`num${left < 10_000 ? ' text-warn' : ''}`}
              title={formatClock(lease.leaseExpiresAt)}
              data-label="Lease expires"
            >
              {left > 0 ? `in ${formatDuration(left)}` : 'expired, awaiting redelivery'}
            </td>
          </tr>
        );
      })}
    </DataTable>
  );
}

/** The head of the queue: what workers get next, in order. */
export function NextQueuedTable({ next, depth }: { next: QueuedBuild[]; depth: number }) {
  const now = useNow(5000);
  if (next.length === 0) return <Empty>The queue is empty.</Empty>;
  return (
    <DataTable
      caption="Next queued builds"
      className="table--cards"
      columns={[
        { label: 'Position', num: true },
        'Build',
        'Type',
        { label: 'Attempts so far', num: true },
        { label: 'Queued', num: true },
      ]}
      note={depth > next.length ? <p className="muted table-note">and {depth - next.length} more behind these</p> : null}
    >
      {next.map((build) => (
        <tr key={`${build.buildId}-${build.type}`}>
          <td className="num" data-label="Position">
            {build.position}
          </td>
          <th scope="row" className="card-title">
            <a href={href.builds(build.buildId)}>{build.buildId}</a>
          </th>
          <td data-label="Type">{build.type}</td>
          <td className="num" data-label="Attempts so far">
            {build.attempt}
          </td>
          <td className="num" title={formatClock(build.enqueuedAt)} data-label="Queued">
            {formatAge(build.enqueuedAt, now)}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
