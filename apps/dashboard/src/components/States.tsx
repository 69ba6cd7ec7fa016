import type { ReactNode } from 'react';
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
