import { useRef, useState, type FormEvent } from 'react';
import type { BuildCluster } from '@buildcluster/protocol';
import {
  FORM_FIELDS,
  MANAGED_BY,
  signOptionDefaults,
  validate,
  type ClusterFormValues,
  type FieldErrors,
  type FormField,
  inputId,
} from '../lib/cluster-form';
import { fieldErrorFrom } from '../lib/api-errors';
import { formControls } from './cluster-form-controls';
import { describedBy, Field } from './Field';
import { ErrorNotice } from './States';
import { WorkerAuthFields } from './WorkerAuthFields';

/** Which form value each field path edits, to clear its error as soon as the user changes it. */
const FIELD_OF: Partial<Record<keyof ClusterFormValues, FormField>> = {
  providerName: 'provider.name',
  providerRegion: 'provider.region',
  providerAccountId: 'provider.accountId',
  hasProvider: 'provider',
  issuer: 'signOption.issuer',
  subject: 'signOption.subject',
  audience: 'signOption.audience',
  expiresIn: 'signOption.expiresIn',
  algorithm: 'signOption.algorithm',
};

interface Props {
  mode: 'create' | 'edit';
  initial: ClusterFormValues;
  original?: BuildCluster;
  /** Sends the form; throws the API's error, which the form maps to its field. */
  onSubmit: (values: ClusterFormValues) => Promise<void>;
  onCancel: () => void;
}

export function ClusterForm({ mode, initial, original, onSubmit, onCancel }: Props) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The claims follow the name until the user types one of them.
  const [claimsEdited, setClaimsEdited] = useState(mode === 'edit');
  const formRef = useRef<HTMLFormElement>(null);

  function update<K extends keyof ClusterFormValues>(key: K, value: ClusterFormValues[K]) {
    setValues((v) => {
      const next = { ...v, [key]: value };
      if (key === 'name' && !claimsEdited) Object.assign(next, signOptionDefaults(String(value)));
      return next;
    });
    if (key === 'issuer' || key === 'subject' || key === 'audience') setClaimsEdited(true);
    const field = FIELD_OF[key] ?? (key as FormField);
    if (
      errors[field] ||
      (field.startsWith('signOption') && errors.signOption) ||
      (field.startsWith('provider') && errors.provider)
    ) {
      setErrors((e) => ({
        ...e,
        [field]: undefined,
        ...(field.startsWith('signOption') ? { signOption: undefined } : {}),
        ...(field.startsWith('provider') ? { provider: undefined } : {}),
      }));
    }
  }

  function focusFirstError(found: FieldErrors) {
    const first = FORM_FIELDS.find((f) => found[f]);
    if (!first) return;
    // Wait for React to render the messages, then move focus to the first field in error.
    requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>(`#${inputId(first)}`)?.focus());
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFormError(null);
    const found = validate(values, mode, original);
    setErrors(found);
    if (Object.values(found).some(Boolean)) {
      focusFirstError(found);
      return;
    }
    setBusy(true);
    try {
      await onSubmit(values);
    } catch (err) {
      const mapped = fieldErrorFrom(err, FORM_FIELDS);
      if (mapped.field) {
        const next = { [mapped.field]: capitalize(mapped.message) } as FieldErrors;
        setErrors(next);
        focusFirstError(next);
      } else {
        setFormError(mapped.message);
      }
    } finally {
      setBusy(false);
    }
  }

  function fillFromKeygen(found: Partial<ClusterFormValues>) {
    if (mode === 'edit') delete found.name;
    setValues((v) => ({ ...v, ...found }));
    if (found.issuer || found.subject || found.audience) setClaimsEdited(true);
  }

  const controls = formControls(values, errors, update);
  const { text, select, check } = controls;

  const managedHint =
    values.managedBy === 'screwdriver'
      ? 'Shared pool: gets builds by weighted random choice'
      : 'Only builds of its organization that ask for it by name';

  return (
    <form
      ref={formRef}
      className="cluster-form"
      // submit reports its own failures in the form.
      onSubmit={(event) => void submit(event)}
      noValidate
      aria-label={mode === 'create' ? 'Register cluster' : 'Edit cluster'}
    >
      {formError ? <ErrorNotice error={formError} /> : null}

      <fieldset>
        <legend>Cluster</legend>
        <div className="grid">
          {mode === 'create' ? (
            text(
              'name',
              'name',
              'Name *',
              { autoFocus: true, autoComplete: 'off', spellCheck: false, maxLength: 100 },
              'Letters, digits, . _ - ; also the default queue name',
            )
          ) : (
            <Field id={inputId('name')} label="Name">
              <input id={inputId('name')} value={values.name} readOnly aria-readonly="true" />
            </Field>
          )}
          {text('maintainer', 'maintainer', 'Maintainer email', { type: 'email', autoComplete: 'email' })}
          <Field id={inputId('description')} label="Description" error={errors.description} className="field--wide">
            <input
              {...describedBy(inputId('description'), errors.description)}
              value={values.description}
              maxLength={1000}
              onChange={(e) => update('description', e.target.value)}
            />
          </Field>
        </div>
      </fieldset>

      <fieldset>
        <legend>Scheduling</legend>
        <div className="grid">
          {text(
            'scmOrganization',
            'scmOrganization',
            'SCM organization *',
            { autoComplete: 'off' },
            'External clusters only run builds of this organization',
          )}
          {text(
            'scmContext',
            'scmContext',
            'SCM context *',
            { autoComplete: 'off', list: 'known-contexts' },
            'e.g. github:github.com',
          )}
          <datalist id="known-contexts">
            <option value="github:github.com" />
            <option value="gitlab:gitlab.com" />
            <option value="bitbucket:bitbucket.org" />
          </datalist>
          {select('managedBy', 'managedBy', 'Managed by *', MANAGED_BY, managedHint)}
          {text(
            'weightage',
            'weightage',
            'Weightage (0–100)',
            { type: 'number', min: 0, max: 100, step: 1, inputMode: 'numeric' },
            '0 = only builds that ask for it by name',
          )}
          {text(
            'queue',
            'queue',
            'Queue',
            { autoComplete: 'off', spellCheck: false, placeholder: values.name || 'same as the name' },
            mode === 'create' ? 'Leave empty to use the name' : undefined,
          )}
          {check('isActive', 'isActive', 'Active: gets new builds')}
        </div>
      </fieldset>

      <fieldset>
        <legend>Cloud provider</legend>
        {check('provider', 'hasProvider', 'Runs in a cloud account (builds that name a provider go only to matching clusters)')}
        {values.hasProvider ? (
          <div className="grid">
            {text('provider.name', 'providerName', 'Provider *', { autoComplete: 'off' }, 'e.g. aws')}
            {text('provider.region', 'providerRegion', 'Region *', { autoComplete: 'off' }, 'e.g. us-west-2')}
            {text('provider.accountId', 'providerAccountId', 'Account id *', { autoComplete: 'off', inputMode: 'numeric' })}
          </div>
        ) : null}
      </fieldset>

      <WorkerAuthFields
        mode={mode}
        original={original}
        values={values}
        errors={errors}
        update={update}
        controls={controls}
        onKeygen={fillFromKeygen}
      />

      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? 'Saving…' : mode === 'create' ? 'Register cluster' : 'Save changes'}
        </button>
        <button type="button" className="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** "must be <= 100" reads better as "Must be <= 100"; a leading field name ("publicKey is ...") stays as the API spells it. */
function capitalize(text: string): string {
  return /^[a-z]+(\s|$)/.test(text) ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}
