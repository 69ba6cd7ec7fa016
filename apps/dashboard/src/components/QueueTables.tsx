import type { Lease, QueuedBuild } from '@buildcluster/protocol';
import { formatAge, formatClock, formatDuration } from '../lib/format';
import { useNow } from '../lib/use-now';
import { BuildHead, Cell } from './Cells';
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
            <BuildHead buildId={lease.buildId} />
            <Cell label="Type">{lease.type}</Cell>
            <Cell label="Worker">
              <code>{lease.workerId}</code>
            </Cell>
            <Cell num label="Attempt">
              {lease.attempt}
            </Cell>
            <Cell
              num
              className={left < 10_000 ? 'text-warn' : undefined}
              title={formatClock(lease.leaseExpiresAt)}
              label="Lease expires"
            >
              {left > 0 ? `in ${formatDuration(left)}` : 'expired, awaiting redelivery'}
            </Cell>
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
          <Cell num label="Position">
            {build.position}
          </Cell>
          <BuildHead buildId={build.buildId} />
          <Cell label="Type">{build.type}</Cell>
          <Cell num label="Attempts so far">
            {build.attempt}
          </Cell>
          <Cell num title={formatClock(build.enqueuedAt)} label="Queued">
            {formatAge(build.enqueuedAt, now)}
          </Cell>
        </tr>
      ))}
    </DataTable>
  );
}
