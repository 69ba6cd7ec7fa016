import type { QueueStats } from '@buildcluster/protocol';
import { meanThroughput, statsHistory } from '../api/stats-history';
import { useStore } from '../lib/store';
import { formatCount, formatDuration, formatRate } from '../lib/format';
import { isStranded } from '../lib/backlog';

/** The queue's live figures as a row of tiles, and its two watermarks. */
export function QueueFigures({ stats }: { stats: QueueStats | undefined }) {
  const history = useStore(statsHistory);
  const series = stats ? history[stats.cluster] : undefined;
  // Average over the last 10 samples: a single second is too jumpy to read.
  const rate = meanThroughput((series ?? []).slice(-10));
  const stranded = isStranded(stats);
  const tiles: Array<{ label: string; value: string; tone?: string; note?: string }> = [
    { label: 'Queued', value: formatCount(stats?.depth), tone: stranded ? 'danger' : undefined },
    { label: 'In flight', value: formatCount(stats?.inFlight) },
    { label: 'Oldest queued', value: stats ? formatDuration(stats.oldestQueuedAgeMs) : '—' },
    { label: 'Acked / s', value: formatRate(rate), note: '10 s average' },
    { label: 'Dead', value: formatCount(stats?.dead), tone: stats && stats.dead > 0 ? 'danger' : undefined },
    { label: 'Workers 1 min', value: formatCount(stats?.workersLastMinute), tone: stranded ? 'danger' : undefined },
    { label: 'Enqueued total', value: formatCount(stats?.enqueuedTotal) },
    { label: 'Acked total', value: formatCount(stats?.ackedTotal) },
  ];
  return (
    <>
      {stranded ? (
        <div className="callout callout--danger" role="alert">
          <span aria-hidden="true">⚠ </span>
          <strong>{formatCount(stats?.depth)} builds are queued but no worker polled in the last minute.</strong> Start or check
          this cluster&apos;s workers (<code>buildcluster-worker run</code>) and their access to the broker.
        </div>
      ) : null}
      <dl className="tiles" aria-label="Queue figures">
        {tiles.map((t) => (
          <div key={t.label} className={`tile${t.tone ? ` tile--${t.tone}` : ''}`}>
            <dt>{t.label}</dt>
            <dd>
              {t.value}
              {t.note ? <span className="tile__note">{t.note}</span> : null}
            </dd>
          </div>
        ))}
      </dl>
      {stats?.staleWorkers ? (
        <div className="callout callout--warn" role="status">
          <span aria-hidden="true">⚠ </span>
          <strong>{stats.staleWorkers === 1 ? '1 worker' : `${stats.staleWorkers} workers`} stopped polling</strong> (no poll for
          a minute, no build held): see the workers below.
        </div>
      ) : null}
      <dl className="watermarks" aria-label="Watermarks">
        <div>
          <dt title="Builds handed to a worker and not yet acked (between the two watermarks)">Delivered, not acked</dt>
          <dd>
            {formatCount(stats?.unackedBehind)} build{stats?.unackedBehind === 1 ? '' : 's'}
            <span className="cell-sub">
              delivered watermark <code>{stats?.deliveredWatermark ?? '—'}</code>
            </span>
          </dd>
        </div>
        <div>
          <dt title="Every entry at or below the acked watermark is acked (and trimmed)">Oldest unacked</dt>
          <dd>
            {stats?.oldestUnackedAgeMs == null ? 'none' : `${formatDuration(stats.oldestUnackedAgeMs)} old`}
            <span className="cell-sub">
              acked watermark <code>{stats?.ackedWatermark ?? '—'}</code>
            </span>
          </dd>
        </div>
      </dl>
    </>
  );
}
