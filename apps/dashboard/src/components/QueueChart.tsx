import { useMemo } from 'react';
import { Area, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { HISTORY_WINDOW_MS, statsHistory, type StatsSample } from '../api/stats-history';
import { useStore } from '../lib/store';
import { formatClock, formatRate } from '../lib/format';

const EMPTY: StatsSample[] = [];

/** Depth, in-flight and throughput of one queue over the last 15 minutes, from the socket's stats events. */
export function QueueChart({ cluster }: { cluster: string }) {
  const history = useStore(statsHistory);
  const series = history[cluster] ?? EMPTY;
  const last = series[series.length - 1];
  const domain = useMemo<[number, number]>(() => {
    const end = last?.at ?? Date.now();
    return [end - HISTORY_WINDOW_MS, end];
  }, [last?.at]);
  const summary = last
    ? `Now ${last.depth} queued, ${last.inFlight} in flight, ${formatRate(last.throughput)} acked over the last ${series.length} s sampled.`
    : 'No samples yet.';
  return (
    <figure className="chart" aria-label={`Queue activity of ${cluster}, last 15 minutes`}>
      <figcaption className="chart__caption">
        <span>Last 15 minutes</span>
        <span className="muted">{series.length < 2 ? 'Collecting samples while this tab is open…' : `${series.length} samples, one per second`}</span>
      </figcaption>
      <p className="sr-only">{summary}</p>
      <div className="chart__plot" aria-hidden="true">
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart data={series} margin={{ top: 8, right: 8, bottom: 0, left: -12 }}>
            <CartesianGrid stroke="var(--grid)" vertical={false} />
            <XAxis
              dataKey="at"
              type="number"
              scale="time"
              domain={domain}
              tickFormatter={(v: number) => formatClock(v).slice(0, 5)}
              stroke="var(--muted)"
              fontSize={11}
              minTickGap={40}
            />
            <YAxis yAxisId="builds" allowDecimals={false} stroke="var(--muted)" fontSize={11} width={44} />
            <YAxis yAxisId="rate" orientation="right" stroke="var(--muted)" fontSize={11} width={40} tickFormatter={(v: number) => `${v}/s`} />
            <Tooltip
              labelFormatter={(v) => formatClock(Number(v))}
              formatter={(value, name) => (name === 'Acked / s' ? formatRate(Number(value)) : value)}
              contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', fontSize: 12 }}
            />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Area yAxisId="builds" dataKey="depth" name="Queued" type="stepAfter" stroke="var(--c-depth)" fill="var(--c-depth)" fillOpacity={0.15} isAnimationActive={false} dot={false} />
            <Line yAxisId="builds" dataKey="inFlight" name="In flight" type="stepAfter" stroke="var(--c-inflight)" strokeWidth={2} isAnimationActive={false} dot={false} />
            <Line yAxisId="rate" dataKey="throughput" name="Acked / s" type="monotone" stroke="var(--c-rate)" strokeWidth={1.5} strokeDasharray="4 2" isAnimationActive={false} dot={false} connectNulls />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
