import { useMemo } from 'react';
import type { WaitPoint } from '@buildcluster/protocol';
import { formatDuration } from '../lib/format';
import { ChartFrame } from './chart/ChartFrame';
import { TimeSeriesChart } from './chart/TimeSeriesChart';
import { SeriesLine } from './chart/SeriesLine';
import { ValueAxis } from './chart/ValueAxis';

const hourFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const formatHour = (at: number) => hourFormat.format(at);
const formatMs = (v: number) => formatDuration(v);

/** Queue wait p50/p95 and run time p50 per 10 minutes over the last 24 h, as the broker keeps them in Redis. */
export function WaitChart({ history, label }: { history: WaitPoint[]; label: string }) {
  const data = useMemo(
    () =>
      history.map((p) => ({
        at: Date.parse(p.at),
        waitP50: p.wait.p50Ms,
        waitP95: p.wait.p95Ms,
        runP50: p.run.p50Ms,
        builds: p.wait.count,
      })),
    [history],
  );
  const measured = data.filter((d) => d.builds > 0);
  // With few measured intervals a line has nothing to join: mark each point.
  const dot = measured.length <= 24 ? { r: 3 } : false;
  const worst = measured.reduce<(typeof data)[number] | null>(
    (w, d) => (w && (w.waitP95 ?? 0) >= (d.waitP95 ?? 0) ? w : d),
    null,
  );
  const summary =
    measured.length === 0
      ? 'No build was delivered in the last 24 hours.'
      : `${measured.reduce((n, d) => n + d.builds, 0)} builds delivered in 24 h; the worst 10 minutes had a p95 wait of ${formatDuration(worst?.waitP95)}.`;
  return (
    <ChartFrame
      label={`Queue wait of ${label}, last 24 hours`}
      caption="Queue wait and run time · last 24 h, per 10 minutes"
      source="kept by the broker; survives restarts"
      summary={summary}
      plot={
        measured.length === 0 ? null : (
          <TimeSeriesChart
            data={data}
            domain={['dataMin', 'dataMax']}
            formatTime={formatHour}
            minTickGap={50}
            formatValue={formatMs}
            marginLeft={4}
            axes={
              <>
                <ValueAxis yAxisId="wait" width={56} tickFormatter={formatMs} />
                <ValueAxis yAxisId="run" orientation="right" width={56} tickFormatter={formatMs} />
              </>
            }
          >
            <SeriesLine yAxisId="wait" dataKey="waitP50" name="Wait p50" stroke="var(--c-depth)" dot={dot} connectNulls />
            <SeriesLine yAxisId="wait" dataKey="waitP95" name="Wait p95" stroke="var(--c-inflight)" dot={dot} connectNulls />
            <SeriesLine
              yAxisId="run"
              dataKey="runP50"
              name="Run p50 (right)"
              stroke="var(--c-rate)"
              strokeDasharray="4 3"
              dot={dot}
              connectNulls
            />
          </TimeSeriesChart>
        )
      }
    />
  );
}
