import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { BuildState, BuildSummary } from '@buildcluster/protocol';
import { buildSearchQuery, searchString, type SearchCriteria } from '../api/console';
import { clustersQuery } from '../api/clusters';
import { formatAge, formatClock, formatDateTime } from '../lib/format';
import { href } from '../lib/router';
import { useNow } from '../lib/use-now';
import { BuildStateBadge } from './Badges';
import { Field, Options } from './Field';
import { DataTable } from './DataTable';
import { QueryState } from './States';

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
      {query !== null ? <SearchResults query={query} /> : null}
    </>
  );
}

function SearchResults({ query }: { query: string }) {
  const result = useQuery(buildSearchQuery(query));
  return (
    <QueryState
      query={result}
      what="builds"
      failure="Search failed"
      isEmpty={(data) => data.builds.length === 0}
      empty="No build matches (the broker remembers builds for BUILD_RETENTION_SECONDS)."
    >
      {(data) => <BuildList builds={data.builds} caption="Builds found" />}
    </QueryState>
  );
}

/** Builds, one row each, newest first; a row's "Timeline" opens queued → deliveries → nacks → ack or stop. */
export function BuildList({ builds, caption }: { builds: BuildSummary[]; caption: string }) {
  const now = useNow(5000);
  return (
    <DataTable
      caption={caption}
      region={caption}
      className="build-list"
      columns={['Build', 'State', 'Cluster', 'Pipeline', 'Job', 'Event', 'Queued', 'Timeline']}
    >
      {builds.map((b) => (
        <tr key={b.buildId}>
          <th scope="row">
            <a href={href.builds(b.buildId)}>{b.buildId}</a>
            {b.uiUrl ? (
              <a className="cell-sub" href={b.uiUrl} target="_blank" rel="noreferrer">
                in Screwdriver ↗
              </a>
            ) : null}
          </th>
          <td>
            <BuildStateBadge state={b.state} />
            {b.attempts > 1 ? <span className="cell-sub">{b.attempts} attempts</span> : null}
          </td>
          <td>{b.cluster ? <a href={href.cluster(b.cluster)}>{b.cluster}</a> : '—'}</td>
          <td>
            {b.pipelineName ?? '—'}
            {b.pipelineId ? <span className="cell-sub">id {b.pipelineId}</span> : null}
          </td>
          <td>
            {b.jobName ?? '—'}
            {b.jobId ? <span className="cell-sub">id {b.jobId}</span> : null}
          </td>
          <td>{b.eventId ?? '—'}</td>
          <td title={formatDateTime(b.queuedAt)}>{formatAge(b.queuedAt, now)}</td>
          <td>
            <details>
              <summary>
                {b.timeline.length} step{b.timeline.length === 1 ? '' : 's'}
              </summary>
              <ol className="timeline">
                {b.timeline.map((t, i) => (
                  <li key={i}>
                    <time dateTime={t.at}>{formatClock(t.at)}</time> <strong>{t.kind}</strong>
                    {t.workerId ? ` to ${t.workerId}` : ''}
                    {t.attempt ? ` (attempt ${t.attempt})` : ''}
                    {t.kind !== 'delivered' && t.detail ? <span className="muted"> · {t.detail}</span> : null}
                    {t.leaseId ? (
                      <span className="cell-sub">
                        lease <code>{t.leaseId}</code>
                        {t.leaseExpiresAt ? ` until ${formatClock(t.leaseExpiresAt)}` : ''}
                      </span>
                    ) : null}
                  </li>
                ))}
              </ol>
            </details>
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
