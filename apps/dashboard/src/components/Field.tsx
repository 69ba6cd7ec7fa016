import type { ReactNode } from 'react';

/** ARIA wiring for an input: its error and hint are announced with it, and it reads as invalid. */
export function describedBy(id: string, error?: string, hint?: string) {
  const ids = [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(' ');
  return {
    id,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': ids || undefined,
  } as const;
}

interface FieldProps {
  id: string;
  label: ReactNode;
  error?: string;
  hint?: ReactNode;
  children: ReactNode;
  className?: string;
}

/** A labelled input with its hint and its error message right under it. */
export function Field({ id, label, error, hint, children, className }: FieldProps) {
  return (
    <div className={`field${error ? ' field--invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}

/** The <option>s of a select: each a value shown as it is, or a [value, text] pair. */
export function Options({ values }: { values: ReadonlyArray<string | readonly [value: string, text: string]> }) {
  return values.map((v) => {
    const [value, text] = typeof v === 'string' ? [v, v] : v;
    return (
      <option key={value} value={value}>
        {text}
      </option>
    );
  });
}

/** The hint (while there is no error) or the error of an input, with the ids `describedBy` points at. */
export function FieldNotes({ id, hint, error }: { id: string; hint?: ReactNode; error?: string }) {
  return (
    <>
      {hint && !error ? (
        <p className="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field__error" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : null}
    </>
  );
}
