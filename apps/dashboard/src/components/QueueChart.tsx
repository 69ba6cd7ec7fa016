import { useMemo } from 'react';
import { Area, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { HISTORY_WINDOW_MS, statsHistory, type StatsSample } from '../api/stats-history';
import { useStore } from '../lib/store';
import { formatClock, formatRate } from '../lib/format';

const EMPTY: StatsSample[] = [];
/** Throughput is drawn as a 5-second moving average: per-second ack counts are too jumpy to read. */
const SMOOTH = 5;

type Point = StatsSample & { rate: number | null };

function smooth(series: StatsSample[]): Point[] {
  return series.map((sample, i) => {
    const window = series.slice(Math.max(0, i - SMOOTH + 1), i + 1).filter((s) => s.throughput !== null);
    const rate = window.length ? window.reduce((n, s) => n + (s.throughput ?? 0), 0) / window.length : null;
    return { ...sample, rate };
  });
}

/** Depth, in-flight and throughput of one queue over the last 15 minutes, from the socket's stats events. */
export function QueueChart({ cluster }: { cluster: string }) {
  const history = useStore(statsHistory);
  const series = history[cluster] ?? EMPTY;
  const data = useMemo(() => smooth(series), [series]);
  const first = series[0];
  const last = series[series.length - 1];
  // The axis grows with the samples (this tab only knows what it saw), up to the 15-minute window.
  const domain = useMemo<[number, number]>(() => {
    const end = last?.at ?? Date.now();
    return [Math.min(end - 60_000, Math.max(first?.at ?? end, end - HISTORY_WINDOW_MS)), end];
  }, [first?.at, last?.at]);
  const summary = last
    ? `Now ${last.depth} queued, ${last.inFlight} in flight, ${formatRate(data[data.length - 1]?.rate)} acked.`
    : 'No samples yet.';
  return (
    <figure className="chart" aria-label={`Queue activity of ${cluster}, last 15 minutes`}>
      <figcaption className="chart__caption">
        <span>{first ? `Since ${formatClock(domain[0])}` : 'Live'} · up to the last 15 minutes</span>
        <span className="muted">
          {series.length < 2
            ? 'Collecting samples while this tab is open…'
            : `${series.length} samples, one per second, kept in this tab`}
        </span>
      </figcaption>
      <p className="sr-only">{summary}</p>
      <div className="chart__plot" aria-hidden="true">
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -12 }} accessibilityLayer={false}>
            <CartesianGrid stroke="var(--grid)" vertical={false} />
            <XAxis
              dataKey="at"
              type="number"
              scale="time"
              domain={domain}
              tickFormatter={(v: number) => formatClock(v)}
              stroke="var(--muted)"
              fontSize={11}
              minTickGap={60}
            />
            <YAxis yAxisId="builds" allowDecimals={false} stroke="var(--muted)" fontSize={11} width={44} />
            <YAxis
              yAxisId="rate"
              orientation="right"
              stroke="var(--muted)"
              fontSize={11}
              width={40}
              tickFormatter={(v: number) => formatRate(v)}
              allowDecimals={false}
            />
            <Tooltip
              labelFormatter={(v) => formatClock(Number(v))}
              formatter={(value, name) => (name === 'Acked / s' ? formatRate(Number(value)) : value)}
              contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', fontSize: 12 }}
            />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Area
              yAxisId="builds"
              dataKey="depth"
              name="Queued"
              type="stepAfter"
              stroke="var(--c-depth)"
              fill="var(--c-depth)"
              fillOpacity={0.15}
              isAnimationActive={false}
              dot={false}
            />
            <Line
              yAxisId="builds"
              dataKey="inFlight"
              name="In flight"
              type="stepAfter"
              stroke="var(--c-inflight)"
              strokeWidth={2}
              isAnimationActive={false}
              dot={false}
            />
            <Line
              yAxisId="rate"
              dataKey="rate"
              name="Acked / s"
              type="monotone"
              stroke="var(--c-rate)"
              strokeWidth={2}
              isAnimationActive={false}
              dot={false}
              connectNulls
            />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
