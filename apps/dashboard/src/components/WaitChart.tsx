import { useMemo } from 'react';
import { CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { WaitPoint } from '@buildcluster/protocol';
import { formatDuration } from '../lib/format';

const hourFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

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
    <figure className="chart" aria-label={`Queue wait of ${label}, last 24 hours`}>
      <figcaption className="chart__caption">
        <span>Queue wait and run time · last 24 h, per 10 minutes</span>
        <span className="muted">kept by the broker; survives restarts</span>
      </figcaption>
      <p className={measured.length === 0 ? 'empty' : 'sr-only'}>{summary}</p>
      {measured.length === 0 ? null : (
        <div className="chart__plot" aria-hidden="true">
          <ResponsiveContainer width="100%" height="100%">
            <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 4 }} accessibilityLayer={false}>
              <CartesianGrid stroke="var(--grid)" vertical={false} />
              <XAxis
                dataKey="at"
                type="number"
                scale="time"
                domain={['dataMin', 'dataMax']}
                tickFormatter={(v: number) => hourFormat.format(v)}
                stroke="var(--muted)"
                fontSize={11}
                minTickGap={50}
              />
              <YAxis
                yAxisId="wait"
                stroke="var(--muted)"
                fontSize={11}
                width={56}
                tickFormatter={(v: number) => formatDuration(v)}
              />
              <YAxis
                yAxisId="run"
                orientation="right"
                stroke="var(--muted)"
                fontSize={11}
                width={56}
                tickFormatter={(v: number) => formatDuration(v)}
              />
              <Tooltip
                labelFormatter={(v) => hourFormat.format(Number(v))}
                formatter={(value) => formatDuration(Number(value))}
                contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', fontSize: 12 }}
              />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              <Line
                yAxisId="wait"
                dataKey="waitP50"
                name="Wait p50"
                stroke="var(--c-depth)"
                strokeWidth={2}
                dot={dot}
                isAnimationActive={false}
                connectNulls
              />
              <Line
                yAxisId="wait"
                dataKey="waitP95"
                name="Wait p95"
                stroke="var(--c-inflight)"
                strokeWidth={2}
                dot={dot}
                isAnimationActive={false}
                connectNulls
              />
              <Line
                yAxisId="run"
                dataKey="runP50"
                name="Run p50 (right)"
                stroke="var(--c-rate)"
                strokeDasharray="4 3"
                strokeWidth={2}
                dot={dot}
                isAnimationActive={false}
                connectNulls
              />
            </ComposedChart>
          </ResponsiveContainer>
        </div>
      )}
    </figure>
  );
}
