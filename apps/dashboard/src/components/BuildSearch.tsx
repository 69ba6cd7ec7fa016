import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { BuildState } from '@buildcluster/protocol';
import { searchString, type SearchCriteria } from '../api/console';
import { clustersQuery } from '../api/clusters';
import { FoundBuilds } from './BuildList';
import { Field, Options } from './Field';

// Types only from the protocol package: its values would bundle the schema library.
const BUILD_STATES: BuildState[] = ['pending', 'queued', 'leased', 'acked', 'cancelled', 'dead'];

const ANY = ['', 'any'] as const;

const EMPTY: SearchCriteria = { pipeline: '', job: '', eventId: '', cluster: '', state: '' };

/** Find builds by pipeline, job, event, cluster and state; each row opens the build's timeline. */
export function BuildSearch() {
  const clusters = useQuery(clustersQuery());
  const [form, setForm] = useState<SearchCriteria>(EMPTY);
  const [query, setQuery] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const set = (field: keyof SearchCriteria) => (e: { target: { value: string } }) =>
    setForm({ ...form, [field]: e.target.value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (form.eventId && !/^\d+$/.test(form.eventId.trim())) return setError('An event id is a positive whole number');
    setError(null);
    setQuery(searchString({ ...form, limit: '50' } as SearchCriteria));
  };
  return (
    <>
      <form className="search-form" onSubmit={submit} role="search" aria-label="Find builds" noValidate>
        <Field id="search-pipeline" label="Pipeline (id or name)">
          <input id="search-pipeline" value={form.pipeline} onChange={set('pipeline')} placeholder="3 or my-org/my-repo" />
        </Field>
        <Field id="search-job" label="Job (id or name)">
          <input id="search-job" value={form.job} onChange={set('job')} placeholder="main" />
        </Field>
        <Field id="search-event" label="Event id">
          <input id="search-event" inputMode="numeric" value={form.eventId} onChange={set('eventId')} />
        </Field>
        <Field id="search-cluster" label="Cluster">
          <select id="search-cluster" value={form.cluster} onChange={set('cluster')}>
            <Options values={[ANY, ...(clusters.data ?? []).map((c) => c.name)]} />
          </select>
        </Field>
        <Field id="search-state" label="State">
          <select id="search-state" value={form.state} onChange={set('state')}>
            <Options values={[ANY, ...BUILD_STATES]} />
          </select>
        </Field>
        <button type="submit" className="button button--primary">
          Find builds
        </button>
      </form>
      {error ? (
        <p className="field__error" role="alert">
          {error}
        </p>
      ) : null}
      {query !== null ? (
        <FoundBuilds
          search={query}
          what="builds"
          failure="Search failed"
          empty="No build matches (the broker remembers builds for BUILD_RETENTION_SECONDS)."
          caption="Builds found"
        />
      ) : null}
    </>
  );
}
