import { Fragment, isValidElement, type ReactElement, type ReactNode } from 'react';

/**
 * A column head: its text, or its text with options (`num` right-aligns it, `hidden` leaves it
 * to screen readers only, `title` explains it), or a ready <th> (e.g. a sort button); false or
 * null for a column not shown.
 */
export type Column = string | { label: string; num?: boolean; hidden?: boolean; title?: string } | ReactElement | false | null;

interface DataTableProps {
  /** the table's caption, for screen readers */
  caption: string;
  columns: readonly Column[];
  /** the table's own classes besides "table", e.g. "table--cards" */
  className?: string;
  /** makes the wrapper a named region that takes focus, so a keyboard can scroll a wide table */
  region?: string;
  /** the rows */
  children: ReactNode;
  /** under the table, e.g. "and 12 more" */
  note?: ReactNode;
}

/** The dashboard's tables: the scrolling wrapper, the caption, the column heads and the rows. */
export function DataTable({ caption, columns, className, region, children, note }: DataTableProps) {
  const wrap = region ? { tabIndex: 0, role: 'region', 'aria-label': region } : {};
  return (
    <div className="table-wrap" {...wrap}>
      <table className={className ? `table ${className}` : 'table'}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column, i) => (
              <Fragment key={i}>{head(column)}</Fragment>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
      {note}
    </div>
  );
}

function head(column: Column): ReactNode {
  if (!column || isValidElement(column)) return column;
  const { label, num, hidden, title } = typeof column === 'string' ? { label: column } : column;
  return (
    <th scope="col" className={num ? 'num' : undefined} title={title}>
      {hidden ? <span className="sr-only">{label}</span> : label}
    </th>
  );
}
