import { useId, useState, type ChangeEvent } from 'react';
import { describedBy, FieldNotes } from './Field';

interface Props {
  id: string;
  label: string;
  value: string;
  onChange: (pem: string) => void;
  error?: string;
  hint?: string;
  required?: boolean;
}

/** A public key pasted as PEM text or read from a file (.pem/.pub); the text stays visible either way. */
export function PemInput({ id, label, value, onChange, error, hint, required }: Props) {
  const fileId = useId();
  const [fileNote, setFileNote] = useState<string | null>(null);
  async function readFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    if (file.size > 20_000) {
      setFileNote(`${file.name} is ${file.size} bytes; a public key is under 20 kB. Pick the .pub.pem file.`);
      return;
    }
    try {
      onChange(await file.text());
      setFileNote(`Read ${file.name}`);
    } catch (err) {
      setFileNote(`${file.name} could not be read: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return (
    <div className={`field field--wide${error ? ' field--invalid' : ''}`}>
      <div className="field__label-row">
        <label htmlFor={id}>
          {label}
          {required ? <span aria-hidden="true"> *</span> : null}
        </label>
        <span className="file-button">
          <input
            id={fileId}
            type="file"
            accept=".pem,.pub,.key,.txt,text/plain,application/x-pem-file"
            onChange={(event) => void readFile(event)}
          />
          <label htmlFor={fileId} className="button button--small">
            Upload key file…
          </label>
        </span>
      </div>
      <textarea
        {...describedBy(id, error, hint)}
        className="mono"
        rows={6}
        spellCheck={false}
        autoComplete="off"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={'-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----'}
        aria-required={required || undefined}
      />
      {fileNote ? (
        <p className="field__hint" aria-live="polite">
          {fileNote}
        </p>
      ) : null}
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}
