import { Line, YAxis, type LineProps, type YAxisProps } from 'recharts';

/** A value axis in the dashboard's style; the caller gives its id, side, width and tick format. */
export function ValueAxis(props: YAxisProps) {
  return <YAxis stroke="var(--muted)" fontSize={11} {...props} />;
}

/** A 2 px line that appears at once (no animation) and marks no point unless asked to. */
export function SeriesLine(props: LineProps) {
  return <Line strokeWidth={2} isAnimationActive={false} dot={false} {...props} />;
}
