import type { ReactNode } from 'react';
import type { UseQueryResult } from '@tanstack/react-query';
import { errorText } from '../lib/api-errors';

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorNotice({ error, title, children }: { error: unknown; title?: string; children?: ReactNode }) {
  return (
    <div className="callout callout--danger" role="alert">
      {title ? <strong>{title}: </strong> : null}
      {errorText(error)}
      {children}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

interface QueryStateProps<T> {
  query: UseQueryResult<T>;
  /** what is loading, as in "Loading {what}…" */
  what: string;
  /** the title of the error notice, if the read fails */
  failure?: string;
  /** said instead of the content when `isEmpty` holds for the data */
  empty?: ReactNode;
  isEmpty?: (data: T) => boolean;
  /** the content, once the data is there */
  children: (data: T) => ReactNode;
}

/** A read's loading note, its error, its "nothing here" line, or its content. */
export function QueryState<T>({ query, what, failure, empty, isEmpty, children }: QueryStateProps<T>) {
  if (query.isPending) return <Loading what={what} />;
  if (query.error) return <ErrorNotice error={query.error} title={failure} />;
  if (isEmpty?.(query.data)) return <Empty>{empty}</Empty>;
  return children(query.data);
}
