import type { ReactElement, ReactNode } from 'react';
import { ResponsiveContainer } from 'recharts';

interface ChartFrameProps {
  /** the figure's accessible name */
  label: string;
  /** what the chart shows, left in the caption */
  caption: ReactNode;
  /** where the data comes from, muted on the right of the caption */
  source: ReactNode;
  /** the chart in one sentence, for screen readers; shown instead of the plot when there is none */
  summary: string;
  /** the chart itself, hidden from assistive technology (the summary speaks for it); null for none */
  plot: ReactElement | null;
}

/** The figure around a dashboard chart: caption, a spoken summary, and the plot sized to its box. */
export function ChartFrame({ label, caption, source, summary, plot }: ChartFrameProps) {
  return (
    <figure className="chart" aria-label={label}>
      <figcaption className="chart__caption">
        <span>{caption}</span>
        <span className="muted">{source}</span>
      </figcaption>
      <p className={plot ? 'sr-only' : 'empty'}>{summary}</p>
      {plot ? (
        <div className="chart__plot" aria-hidden="true">
          <ResponsiveContainer width="100%" height="100%">
            {plot}
          </ResponsiveContainer>
        </div>
      ) : null}
    </figure>
  );
}
