import { useQuery } from '@tanstack/react-query';
import type { BuildSummary } from '@buildcluster/protocol';
import { buildSearchQuery } from '../api/console';
import { formatAge, formatClock, formatDateTime } from '../lib/format';
import { href } from '../lib/router';
import { useNow } from '../lib/use-now';
import { BuildStateBadge } from './Badges';
import { DataTable } from './DataTable';
import { QueryState } from './States';

interface FoundBuildsProps {
  /** the search, as `searchString` writes it */
  search: string;
  /** as in "Loading {what}…" */
  what: string;
  /** the title of the error notice */
  failure: string;
  /** said when the search finds nothing */
  empty: string;
  caption: string;
}

/** The builds a search finds, as a BuildList; or its loading note, its error, or why there is none. */
export function FoundBuilds({ search, what, failure, empty, caption }: FoundBuildsProps) {
  const result = useQuery(buildSearchQuery(search));
  return (
    <QueryState query={result} what={what} failure={failure} isEmpty={(data) => data.builds.length === 0} empty={empty}>
      {(data) => <BuildList builds={data.builds} caption={caption} />}
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
