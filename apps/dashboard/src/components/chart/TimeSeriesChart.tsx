import type { ReactNode } from 'react';
import { CartesianGrid, ComposedChart, Legend, Tooltip, XAxis, type XAxisProps } from 'recharts';

interface TimeSeriesChartProps {
  /** one point per time, its time (epoch ms) in `at` */
  data: ReadonlyArray<{ at: number }>;
  /** the time axis: its span and how its ticks and the tooltip's title read a time */
  domain: XAxisProps['domain'];
  formatTime: (at: number) => string;
  minTickGap: number;
  /** how the tooltip reads the value of the series called `name` */
  formatValue: (value: number, name: string) => ReactNode;
  /** room left of the left axis (negative to pull the plot closer to the edge) */
  marginLeft: number;
  /** the value axes (`ValueAxis`), left first */
  axes: ReactNode;
  /** the series drawn against them */
  children: ReactNode;
}

const TOOLTIP_STYLE = { background: 'var(--surface)', border: '1px solid var(--border)', fontSize: 12 };

/** Series over time in the dashboard's style: a horizontal grid, the time axis below, a tooltip and a legend. */
export function TimeSeriesChart({
  data,
  domain,
  formatTime,
  minTickGap,
  formatValue,
  marginLeft,
  axes,
  children,
}: TimeSeriesChartProps) {
  return (
    <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: marginLeft }} accessibilityLayer={false}>
      <CartesianGrid stroke="var(--grid)" vertical={false} />
      <XAxis
        dataKey="at"
        type="number"
        scale="time"
        domain={domain}
        tickFormatter={(v: number) => formatTime(v)}
        stroke="var(--muted)"
        fontSize={11}
        minTickGap={minTickGap}
      />
      {axes}
      <Tooltip
        labelFormatter={(v) => formatTime(Number(v))}
        formatter={(value, name) => formatValue(Number(value), String(name))}
        contentStyle={TOOLTIP_STYLE}
      />
      <Legend wrapperStyle={{ fontSize: 12 }} />
      {children}
    </ComposedChart>
  );
}
