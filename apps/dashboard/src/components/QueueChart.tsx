import { useMemo } from 'react';
import { Area } from 'recharts';
import { HISTORY_WINDOW_MS, meanThroughput, statsHistory, type StatsSample } from '../api/stats-history';
import { useStore } from '../lib/store';
import { formatClock, formatRate } from '../lib/format';
import { ChartFrame } from './chart/ChartFrame';
import { TimeSeriesChart } from './chart/TimeSeriesChart';
import { SeriesLine } from './chart/SeriesLine';
import { ValueAxis } from './chart/ValueAxis';

const EMPTY: StatsSample[] = [];
/** Throughput is drawn as a 5-second moving average: per-second ack counts are too jumpy to read. */
const SMOOTH = 5;
const RATE = 'Acked / s';

type Point = StatsSample & { rate: number | null };

function smooth(series: StatsSample[]): Point[] {
  return series.map((sample, i) => ({ ...sample, rate: meanThroughput(series.slice(Math.max(0, i - SMOOTH + 1), i + 1)) }));
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
    <ChartFrame
      label={`Queue activity of ${cluster}, last 15 minutes`}
      caption={<>{first ? `Since ${formatClock(domain[0])}` : 'Live'} · up to the last 15 minutes</>}
      source={
        series.length < 2
          ? 'Collecting samples while this tab is open…'
          : `${series.length} samples, one per second, kept in this tab`
      }
      summary={summary}
      plot={
        <TimeSeriesChart
          data={data}
          domain={domain}
          formatTime={formatClock}
          minTickGap={60}
          formatValue={(value, name) => (name === RATE ? formatRate(value) : value)}
          marginLeft={-12}
          axes={
            <>
              <ValueAxis yAxisId="builds" allowDecimals={false} width={44} />
              <ValueAxis
                yAxisId="rate"
                orientation="right"
                width={40}
                tickFormatter={(v: number) => formatRate(v)}
                allowDecimals={false}
              />
            </>
          }
        >
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
          <SeriesLine yAxisId="builds" dataKey="inFlight" name="In flight" type="stepAfter" stroke="var(--c-inflight)" />
          <SeriesLine yAxisId="rate" dataKey="rate" name={RATE} type="monotone" stroke="var(--c-rate)" connectNulls />
        </TimeSeriesChart>
      }
    />
  );
}
