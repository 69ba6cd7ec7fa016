import { YAxis, type YAxisProps } from 'recharts';

/** A value axis in the dashboard's style; the caller gives its id, side, width and tick format. */
export function ValueAxis(props: YAxisProps) {
  return <YAxis stroke="var(--muted)" fontSize={11} {...props} />;
}
