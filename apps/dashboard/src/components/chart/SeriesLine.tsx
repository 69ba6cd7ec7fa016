import { Line, type LineProps } from 'recharts';

/** A 2 px line that appears at once (no animation) and marks no point unless asked to. */
export function SeriesLine(props: LineProps) {
  return <Line strokeWidth={2} isAnimationActive={false} dot={false} {...props} />;
}
