import type { ReactNode } from 'react';
import { inputId, type ClusterFormValues, type FieldErrors, type FormField } from '../lib/cluster-form';
import { describedBy, Field, FieldNotes, Options } from './Field';

type Update = <K extends keyof ClusterFormValues>(key: K, value: ClusterFormValues[K]) => void;
type TextKey = { [K in keyof ClusterFormValues]: ClusterFormValues[K] extends boolean ? never : K }[keyof ClusterFormValues];
type CheckKey = { [K in keyof ClusterFormValues]: ClusterFormValues[K] extends boolean ? K : never }[keyof ClusterFormValues];

/** The cluster form's inputs: each edits one form value and shows the error of its API field, with its ARIA wiring. */
export interface FormControls {
  /** a labelled text input; `extra` are its other attributes (type, autoComplete, …) */
  text: (field: FormField, key: TextKey, label: string, extra?: Record<string, unknown>, hint?: string) => ReactNode;
  /** a labelled select of `options` */
  select: (field: FormField, key: TextKey, label: string, options: readonly string[], hint?: string) => ReactNode;
  /** a checkbox with its label after it */
  check: (field: FormField, key: CheckKey, label: string) => ReactNode;
}

export function formControls(values: ClusterFormValues, errors: FieldErrors, update: Update): FormControls {
  return {
    text: (field, key, label, extra = {}, hint) => (
      <Field id={inputId(field)} label={label} error={errors[field]} hint={hint}>
        <input
          {...describedBy(inputId(field), errors[field], hint)}
          value={values[key]}
          onChange={(e) => update(key, e.target.value as never)}
          {...extra}
        />
      </Field>
    ),
    select: (field, key, label, options, hint) => (
      <Field id={inputId(field)} label={label} error={errors[field]} hint={hint}>
        <select
          {...describedBy(inputId(field), errors[field], hint)}
          value={values[key]}
          onChange={(e) => update(key, e.target.value as never)}
        >
          <Options values={options} />
        </select>
      </Field>
    ),
    check: (field, key, label) => (
      <div className="field field--check">
        <input
          type="checkbox"
          {...describedBy(inputId(field), errors[field])}
          checked={values[key]}
          onChange={(e) => update(key, e.target.checked)}
        />
        <label htmlFor={inputId(field)}>{label}</label>
        <FieldNotes id={inputId(field)} error={errors[field]} />
      </div>
    ),
  };
}
