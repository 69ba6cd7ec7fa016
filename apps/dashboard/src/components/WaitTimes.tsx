import { lazy, Suspense } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { Percentiles, WaitFigures } from '@buildcluster/protocol';
import { waitTimesQuery } from '../api/console';
import { formatCount, formatDuration } from '../lib/format';
import { ErrorNotice, Loading } from './States';

const WaitChart = lazy(() => import('./WaitChart').then((m) => ({ default: m.WaitChart })));

// Types only from the protocol package: its values would bundle the schema library.
const WAIT_WINDOWS = ['5m', '1h', '24h'] as const;
const WINDOW_LABEL = { '5m': '5 min', '1h': '1 h', '24h': '24 h' } as const;

function cell(p: Percentiles) {
  if (p.count === 0) return <span className="muted">no builds</span>;
  return (
    <>
      {formatDuration(p.p50Ms)} / {formatDuration(p.p95Ms)} / {formatDuration(p.p99Ms)}
      <span className="cell-sub">
        {formatCount(p.count)} build{p.count === 1 ? '' : 's'}
      </span>
    </>
  );
}

/** p50 / p95 / p99 of queue wait and run time per window, as a small table. */
export function WaitFiguresTable({ figures, caption }: { figures: WaitFigures; caption: string }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table className="table wait-table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">p50 / p95 / p99</th>
            {WAIT_WINDOWS.map((w) => (
              <th key={w} scope="col">
                last {WINDOW_LABEL[w]}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row" title="From being queued to the first delivery to a worker">
              Queue wait
            </th>
            {WAIT_WINDOWS.map((w) => (
              <td key={w}>{cell(figures.wait[w])}</td>
            ))}
          </tr>
          <tr>
            <th scope="row" title="From delivery to the worker's ack">
              Run time
            </th>
            {WAIT_WINDOWS.map((w) => (
              <td key={w}>{cell(figures.run[w])}</td>
            ))}
          </tr>
        </tbody>
      </table>
    </div>
  );
}

/** Wait times of one cluster (or of all, `cluster` null) with the 24 h chart. */
export function WaitTimesPanel({ cluster }: { cluster: string | null }) {
  const report = useQuery(waitTimesQuery(cluster));
  if (report.isPending) return <Loading what="wait times" />;
  if (report.error) return <ErrorNotice error={report.error} title="Wait times unavailable" />;
  const figures = cluster ? report.data.clusters[cluster] : report.data.overall;
  return (
    <>
      {figures ? <WaitFiguresTable figures={figures} caption={`Wait and run times of ${cluster ?? 'every cluster'}`} /> : null}
      <Suspense fallback={<div className="chart__plot muted">Loading the chart…</div>}>
        <WaitChart history={report.data.history} label={cluster ?? 'every cluster'} />
      </Suspense>
    </>
  );
}
