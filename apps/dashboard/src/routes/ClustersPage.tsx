import { useMemo, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { BuildCluster, QueueStats } from '@buildcluster/protocol';
import { clustersQuery } from '../api/clusters';
import { queuesQuery } from '../api/queues';
import { useFallbackInterval } from '../api/live';
import { pendingCount } from '../api/build-events';
import { useStore } from '../lib/store';
import { href } from '../lib/router';
import { isStranded } from '../lib/backlog';
import { ErrorNotice, QueryState } from '../components/States';
import { ClusterFilters, applyFilters, NO_FILTERS, type Filters } from '../components/ClusterFilters';
import { ClusterTable } from '../components/ClusterTable';
import { formatCount } from '../lib/format';
import { useCanWrite } from '../lib/role';
import { AwaitingClusters } from '../components/AwaitingClusters';
import { WaitTimesPanel } from '../components/WaitTimes';

export function ClustersPage() {
  const interval = useFallbackInterval();
  const clusters = useQuery({ ...clustersQuery(), refetchInterval: interval === false ? false : interval * 3 });
  const queues = useQuery({ ...queuesQuery(), refetchInterval: interval });
  const pending = useStore(pendingCount);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);

  const statsByCluster = useMemo(() => {
    const map = new Map<string, QueueStats>();
    for (const q of queues.data ?? []) map.set(q.cluster, q);
    return map;
  }, [queues.data]);
  const all = clusters.data ?? [];
  const shown = useMemo(() => applyFilters(all, filters), [all, filters]);
  const stranded = all.filter((c) => isStranded(statsByCluster.get(c.name)));
  const withStale = all.filter((c) => (statsByCluster.get(c.name)?.staleWorkers ?? 0) > 0);
  const canWrite = useCanWrite();

  return (
    <>
      <div className="page__head">
        <h1>Clusters</h1>
        {canWrite ? (
          <div className="actions-bar">
            <a className="button" href={href.importClusters()}>
              Import from Screwdriver
            </a>
            <a className="button button--primary" href={href.newCluster()}>
              Register cluster
            </a>
          </div>
        ) : (
          <span className="badge badge--muted">read-only</span>
        )}
      </div>
      <Totals clusters={all} stats={queues.data ?? []} pending={pending} />
      {stranded.length > 0 ? (
        <div className="callout callout--danger" role="alert">
          <strong>
            <span aria-hidden="true">⚠ </span>
            {stranded.length === 1 ? '1 cluster has' : `${stranded.length} clusters have`} queued builds but no worker polled in
            the last minute:
          </strong>{' '}
          {stranded.map((c, i) => (
            <span key={c.name}>
              {i > 0 ? ', ' : ''}
              <a href={href.cluster(c.name)}>{c.name}</a> ({formatCount(statsByCluster.get(c.name)?.depth)} queued)
            </span>
          ))}
          . Check that its workers run and can reach the broker.
        </div>
      ) : null}
      {withStale.length > 0 ? (
        <div className="callout callout--warn" role="status">
          <strong>
            <span aria-hidden="true">⚠ </span>
            Workers stopped polling
          </strong>{' '}
          (no poll for a minute and no build held) on{' '}
          {withStale.map((c, i) => (
            <span key={c.name}>
              {i > 0 ? ', ' : ''}
              <a href={href.cluster(c.name)}>{c.name}</a> ({statsByCluster.get(c.name)?.staleWorkers} stale)
            </span>
          ))}
          .
        </div>
      ) : null}
      {queues.error ? <ErrorNotice error={queues.error} title="Queue figures unavailable" /> : null}
      <ClusterFilters clusters={all} filters={filters} onChange={setFilters} shown={shown.length} />
      <QueryState query={clusters} what="clusters" failure="Could not load the clusters">
        {() => <ClusterTable clusters={shown} stats={statsByCluster} total={all.length} />}
      </QueryState>
      <AwaitingClusters />
      <section className="section" aria-labelledby="sec-wait-all">
        <h2 id="sec-wait-all">Wait times, every cluster</h2>
        <WaitTimesPanel cluster={null} />
      </section>
    </>
  );
}

function Totals({ clusters, stats, pending }: { clusters: BuildCluster[]; stats: QueueStats[]; pending: number | null }) {
  const sum = (pick: (q: QueueStats) => number) => stats.reduce((n, q) => n + pick(q), 0);
  const active = clusters.filter((c) => c.isActive).length;
  const items: Array<[string, string, string?]> = [
    ['Clusters', `${active} active / ${clusters.length}`],
    ['Queued', formatCount(sum((q) => q.depth))],
    ['In flight', formatCount(sum((q) => q.inFlight))],
    ['Dead', formatCount(sum((q) => q.dead)), sum((q) => q.dead) > 0 ? 'danger' : undefined],
    ['Workers (1 min)', formatCount(sum((q) => q.workersLastMinute))],
    ['Pending', pending === null ? '—' : formatCount(pending), pending ? 'warn' : undefined],
  ];
  return (
    <dl className="totals" aria-label="Totals">
      {items.map(([label, value, tone]) => (
        <div key={label} className={`totals__item${tone ? ` totals__item--${tone}` : ''}`}>
          <dt>{label}</dt>
          <dd>{label === 'Pending' ? <a href={href.builds()}>{value}</a> : value}</dd>
        </div>
      ))}
    </dl>
  );
}
