import { lazy, Suspense } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { Percentiles, WaitFigures } from '@buildcluster/protocol';
import { waitTimesQuery } from '../api/console';
import { formatCount, formatDuration } from '../lib/format';
import { DataTable } from './DataTable';
import { QueryState } from './States';

const WaitChart = lazy(() => import('./WaitChart').then((m) => ({ default: m.WaitChart })));

// Types only from the protocol package: its values would bundle the schema library.
const WAIT_WINDOWS = ['5m', '1h', '24h'] as const;
const WINDOW_LABEL = { '5m': '5 min', '1h': '1 h', '24h': '24 h' } as const;

const ROWS = [
  { key: 'wait', label: 'Queue wait', title: 'From being queued to the first delivery to a worker' },
  { key: 'run', label: 'Run time', title: "From delivery to the worker's ack" },
] as const;

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
    <DataTable
      caption={caption}
      region={caption}
      className="wait-table"
      columns={['p50 / p95 / p99', ...WAIT_WINDOWS.map((w) => `last ${WINDOW_LABEL[w]}`)]}
    >
      {ROWS.map((row) => (
        <tr key={row.key}>
          <th scope="row" title={row.title}>
            {row.label}
          </th>
          {WAIT_WINDOWS.map((w) => (
            <td key={w}>{cell(figures[row.key][w])}</td>
          ))}
        </tr>
      ))}
    </DataTable>
  );
}

/** Wait times of one cluster (or of all, `cluster` null) with the 24 h chart. */
export function WaitTimesPanel({ cluster }: { cluster: string | null }) {
  const report = useQuery(waitTimesQuery(cluster));
  const label = cluster ?? 'every cluster';
  return (
    <QueryState query={report} what="wait times" failure="Wait times unavailable">
      {(data) => {
        const figures = cluster ? data.clusters[cluster] : data.overall;
        return (
          <>
            {figures ? <WaitFiguresTable figures={figures} caption={`Wait and run times of ${label}`} /> : null}
            <Suspense fallback={<div className="chart__plot muted">Loading the chart…</div>}>
              <WaitChart history={data.history} label={label} />
            </Suspense>
          </>
        );
      }}
    </QueryState>
  );
}
