import type { ReactNode } from 'react';
import { href } from '../lib/router';

interface CellProps {
  /** the column's name, shown beside the value when a card table turns into cards on a narrow screen */
  label: string;
  /** a figure: right-aligned */
  num?: boolean;
  className?: string;
  title?: string;
  children: ReactNode;
}

/** One cell of a card table (`table--cards`). */
export function Cell({ label, num, className, title, children }: CellProps) {
  const classes = [num ? 'num' : null, className].filter(Boolean).join(' ');
  return (
    <td className={classes || undefined} title={title} data-label={label}>
      {children}
    </td>
  );
}

/** The head of a build's row: its id, linked to the build's page. */
export function BuildHead({ buildId }: { buildId: number }) {
  return (
    <th scope="row" className="card-title">
      <a href={href.builds(buildId)}>{buildId}</a>
    </th>
  );
}
