import type { Lease, QueuedBuild } from '@buildcluster/protocol';
import { formatAge, formatClock, formatDuration } from '../lib/format';
import { href } from '../lib/router';
import { useNow } from '../lib/use-now';
import { Empty } from './States';

/** Builds leased to workers right now, with a countdown to each lease's expiry. */
export function LeasesTable({ leases }: { leases: Lease[] }) {
  const now = useNow(1000);
  if (leases.length === 0) return <Empty>No build is leased right now.</Empty>;
  return (
    <div className="table-wrap">
      <table className="table table--cards">
        <caption className="sr-only">In-flight leases</caption>
        <thead>
          <tr>
            <th scope="col">Build</th>
            <th scope="col">Type</th>
            <th scope="col">Worker</th>
            <th scope="col" className="num">
              Attempt
            </th>
            <th scope="col" className="num">
              Lease expires
            </th>
          </tr>
        </thead>
        <tbody>
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
        </tbody>
      </table>
    </div>
  );
}

/** The head of the queue: what workers get next, in order. */
export function NextQueuedTable({ next, depth }: { next: QueuedBuild[]; depth: number }) {
  const now = useNow(5000);
  if (next.length === 0) return <Empty>The queue is empty.</Empty>;
  return (
    <div className="table-wrap">
      <table className="table table--cards">
        <caption className="sr-only">Next queued builds</caption>
        <thead>
          <tr>
            <th scope="col" className="num">
              Position
            </th>
            <th scope="col">Build</th>
            <th scope="col">Type</th>
            <th scope="col" className="num">
              Attempts so far
            </th>
            <th scope="col" className="num">
              Queued
            </th>
          </tr>
        </thead>
        <tbody>
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
        </tbody>
      </table>
      {depth > next.length ? <p className="muted table-note">and {depth - next.length} more behind these</p> : null}
    </div>
  );
}
