import { lazy, Suspense, useEffect } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { clusterQuery } from '../api/clusters';
import { queueKeys, queueQuery, queuesQuery } from '../api/queues';
import { useFallbackInterval } from '../api/live';
import { ApiError } from '../api/client';
import { href } from '../lib/router';
import { ActiveBadge, PausedBadge, Spaced } from '../components/Badges';
import { ClusterActions } from '../components/ClusterActions';
import { ClusterInfo } from '../components/ClusterInfo';
import { Crumbs } from '../components/Crumbs';
import { DeadLetters } from '../components/DeadLetters';
import { QueueFigures } from '../components/QueueFigures';
import { LeasesTable, NextQueuedTable } from '../components/QueueTables';
import { ErrorNotice, Loading, QueryState } from '../components/States';
import { PauseStatus } from '../components/PauseControl';
import { WaitTimesPanel } from '../components/WaitTimes';
import { WorkersTable } from '../components/WorkersTable';

// recharts is most of the bundle: load it only when a chart is on screen.
const QueueChart = lazy(() => import('../components/QueueChart').then((m) => ({ default: m.QueueChart })));

export function ClusterDetailPage({ name }: { name: string }) {
  const client = useQueryClient();
  const interval = useFallbackInterval();
  const cluster = useQuery(clusterQuery(name));
  const queues = useQuery({ ...queuesQuery(), refetchInterval: interval });
  const detail = useQuery({ ...queueQuery(name), refetchInterval: interval, enabled: cluster.isSuccess });
  const stats = queues.data?.find((q) => q.cluster === name) ?? detail.data;

  // Leases and the head of the queue are not in the stats events: refetch them when the figures move.
  const signature = stats
    ? `${stats.depth}/${stats.inFlight}/${stats.deliveredWatermark}/${stats.ackedWatermark}/${stats.dead}`
    : '';
  useEffect(() => {
    if (signature) void client.invalidateQueries({ queryKey: queueKeys.detail(name) });
  }, [client, name, signature]);

  if (cluster.isPending) return <Loading what={name} />;
  if (cluster.error) {
    const gone = cluster.error instanceof ApiError && cluster.error.status === 404;
    return (
      <>
        <Crumbs trail={[['Clusters', href.clusters()]]} current={name} />
        {gone ? (
          <div className="callout">
            No cluster named <strong>{name}</strong> is registered (it may just have been deleted).{' '}
            <a href={href.clusters()}>Back to the clusters</a>.
          </div>
        ) : (
          <ErrorNotice error={cluster.error} title={`Could not load ${name}`} />
        )}
      </>
    );
  }
  const c = cluster.data;
  return (
    <>
      <Crumbs trail={[['Clusters', href.clusters()]]} current={name} />
      <div className="page__head">
        <div>
          <h1>
            {c.name}{' '}
            <Spaced>
              <ActiveBadge active={c.isActive} />
              {stats?.paused ? <PausedBadge note={stats.paused.note} /> : null}
            </Spaced>
          </h1>
          {c.description ? <p className="muted page__sub">{c.description}</p> : null}
        </div>
        <ClusterActions cluster={c} stats={stats} />
      </div>

      <PauseStatus cluster={name} stats={stats} />
      <section aria-labelledby="sec-queue" className="section">
        <h2 id="sec-queue">Queue</h2>
        <QueueFigures stats={stats} />
        <Suspense fallback={<div className="chart__plot muted">Loading the chart…</div>}>
          <QueueChart cluster={name} />
        </Suspense>
      </section>

      <section aria-labelledby="sec-wait" className="section">
        <h2 id="sec-wait">Wait times</h2>
        <WaitTimesPanel cluster={name} />
      </section>
      <section aria-labelledby="sec-workers" className="section">
        <h2 id="sec-workers">Workers (last hour)</h2>
        <WorkersTable cluster={name} />
      </section>
      <div className="two-col">
        <section aria-labelledby="sec-leases" className="section">
          <h2 id="sec-leases">In-flight leases</h2>
          <QueryState query={detail} what="leases">
            {(queue) => <LeasesTable leases={queue.leases} />}
          </QueryState>
        </section>
        <section aria-labelledby="sec-next" className="section">
          <h2 id="sec-next">Next queued builds</h2>
          <QueryState query={detail} what="the queue">
            {(queue) => <NextQueuedTable next={queue.next} depth={queue.depth} />}
          </QueryState>
        </section>
      </div>

      <section aria-labelledby="sec-dead" className="section">
        <h2 id="sec-dead">Dead letters</h2>
        <DeadLetters cluster={name} count={stats?.dead} />
      </section>

      <section aria-labelledby="sec-info" className="section">
        <h2 id="sec-info">Registration</h2>
        <ClusterInfo cluster={c} />
      </section>
    </>
  );
}
