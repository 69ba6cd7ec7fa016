import { useState, type ChangeEvent } from 'react';
import type { BuildCluster } from '@buildcluster/protocol';
import { SIGN_ALGORITHMS, valuesFromKeygenJson, type ClusterFormValues, type FieldErrors, inputId } from '../lib/cluster-form';
import { formatDateTime } from '../lib/format';
import type { FormControls } from './cluster-form-controls';
import { PemInput } from './PemInput';

interface Props {
  mode: 'create' | 'edit';
  original?: BuildCluster;
  values: ClusterFormValues;
  errors: FieldErrors;
  update: <K extends keyof ClusterFormValues>(key: K, value: ClusterFormValues[K]) => void;
  /** The form's inputs (text, select, checkbox) for a field. */
  controls: FormControls;
  /** Fields read from a `buildcluster-worker keygen` sign-option JSON file. */
  onKeygen: (found: Partial<ClusterFormValues>) => void;
}

/** The cluster form's key and sign option: what its workers' tokens are checked against. */
export function WorkerAuthFields({ mode, original, values, errors, update, controls, onKeygen }: Props) {
  const { text, select } = controls;
  const [importNote, setImportNote] = useState<string | null>(null);

  async function importKeygen(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    try {
      const found = valuesFromKeygenJson(await file.text());
      onKeygen(found);
      setImportNote(`Filled ${Object.keys(found).length} fields from ${file.name}`);
    } catch (err) {
      setImportNote(`${file.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  return (
    <fieldset>
      <legend>Worker authentication</legend>
      {mode === 'edit' && original ? (
        <p className="muted">
          Current key <code className="fingerprint">{original.publicKeyFingerprint}</code>
          {original.previousKey ? ` · previous key accepted until ${formatDateTime(original.previousKey.validUntil)}` : ''}
        </p>
      ) : null}
      <PemInput
        id={inputId('publicKey')}
        label={mode === 'create' ? 'Public key (PEM)' : 'New public key (rotates the key)'}
        required={mode === 'create'}
        value={values.publicKey}
        onChange={(pem) => update('publicKey', pem)}
        error={errors.publicKey}
        hint={
          mode === 'create'
            ? 'The cluster keeps the private key; workers sign their tokens with it.'
            : 'Leave empty to keep the current key. A new key starts now; the old one stays valid for the grace period.'
        }
      />
      <div className="field__label-row keygen-import">
        <span className="muted">
          Have the output of <code>buildcluster-worker keygen</code>?
        </span>
        <span className="file-button">
          <input id="keygen-json" type="file" accept=".json,application/json" onChange={(event) => void importKeygen(event)} />
          <label htmlFor="keygen-json" className="button button--small">
            Fill from sign-option JSON…
          </label>
        </span>
        {importNote ? (
          <span className="muted" aria-live="polite">
            {importNote}
          </span>
        ) : null}
      </div>
      {errors.signOption ? (
        <p className="field__error" role="alert" id={inputId('signOption')}>
          {errors.signOption}
        </p>
      ) : null}
      <div className="grid">
        {select(
          'signOption.algorithm',
          'algorithm',
          'Algorithm *',
          SIGN_ALGORITHMS,
          'Must fit the key: ES* for EC keys, RS*/PS* for RSA',
        )}
        {text('signOption.issuer', 'issuer', 'Issuer (iss) *', { autoComplete: 'off', spellCheck: false })}
        {text('signOption.subject', 'subject', 'Subject (sub) *', { autoComplete: 'off', spellCheck: false })}
        {text('signOption.audience', 'audience', 'Audience (aud) *', { autoComplete: 'off', spellCheck: false })}
        {text(
          'signOption.expiresIn',
          'expiresIn',
          'Longest token lifetime (s) *',
          { type: 'number', min: 1, max: 86400, step: 1, inputMode: 'numeric' },
          'exp − iat may not exceed this',
        )}
      </div>
    </fieldset>
  );
}
