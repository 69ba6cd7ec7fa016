import { useQuery } from '@tanstack/react-query';
import type { WaitingBuild } from '@buildcluster/protocol';
import { waitingBuildsQuery } from '../api/builds';
import { pendingCount } from '../api/build-events';
import { useStore } from '../lib/store';
import { formatAge, formatDateTime, formatRelative } from '../lib/format';
import { href } from '../lib/router';
import { useNow } from '../lib/use-now';
import { BuildHead, Cell } from './Cells';
import { DataTable } from './DataTable';
import { QueryState } from './States';

const KIND_TONE: Record<WaitingBuild['kind'], string> = { pending: 'badge--warn', blocked: 'badge--warn', frozen: 'badge--info' };

/** The running builds that hold a blocked one, each linked to its lookup. */
export function BlockingLinks({ blocking }: { blocking: Array<{ buildId: number; jobId: number }> }) {
  return (
    <span className="blocking">
      {blocking.map((b, i) => (
        <span key={b.buildId}>
          {i > 0 ? ', ' : ''}
          <a href={href.builds(b.buildId)}>build {b.buildId}</a> (job {b.jobId})
        </span>
      ))}
    </span>
  );
}

/** Why one build waits: the cluster problem, the builds that block it (linked), or the freeze window. */
function Why({ build, now }: { build: WaitingBuild; now: number }) {
  if (build.kind === 'blocked' && build.blockedBy.length > 0)
    return (
      <>
        blocked by running <BlockingLinks blocking={build.blockedBy} />
      </>
    );
  if (build.kind === 'frozen')
    return (
      <>
        {build.reason} · until{' '}
        <time dateTime={build.frozenUntil} title={formatDateTime(build.frozenUntil)}>
          {formatRelative(build.frozenUntil, now)}
        </time>
      </>
    );
  return <>{build.reason}</>;
}

/**
 * Builds not in a cluster's queue yet, oldest first, with why: pending (no eligible cluster),
 * blocked (Screwdriver's blockedBy rule) and frozen (a freeze window).
 */
export function WaitingBuilds() {
  const count = useStore(pendingCount);
  // Blocked builds come and go without a queue event: poll, besides the live socket's invalidations.
  const waiting = useQuery({ ...waitingBuildsQuery(), refetchInterval: 5000 });
  const now = useNow(5000);
  const totals = waiting.data?.totals;
  return (
    <>
      <p className={`big-figure${count ? ' text-warn' : ''}`}>
        {count ?? totals?.pending ?? '…'}{' '}
        <span className="big-figure__label">{(count ?? totals?.pending) === 1 ? 'build' : 'builds'} pending</span>
      </p>
      {totals ? (
        <p className={`big-figure${totals.blocked > 0 ? ' text-warn' : ''}`}>
          {totals.blocked} <span className="big-figure__label">blocked</span>
          {totals.frozen > 0 ? (
            <>
              {' '}
              · {totals.frozen} <span className="big-figure__label">frozen</span>
            </>
          ) : null}
        </p>
      ) : null}
      <p className="muted">
        A build is pending when no active cluster can take it: none shares its SCM context, the cluster it names is inactive, or
        no cluster matches its cloud provider; it is assigned in arrival order as soon as an eligible cluster becomes active. A
        build is blocked while a build of a job in its blockedBy runs, until Screwdriver stops that build.
      </p>
      <QueryState
        query={waiting}
        what="waiting builds"
        failure="Could not load the waiting builds"
        isEmpty={(data) => data.builds.length === 0}
        empty="No build is waiting: every build found an eligible cluster, and none is blocked."
      >
        {({ builds, total }) => (
          <DataTable
            caption="Waiting builds, oldest first, with why"
            className="table--cards pending-table"
            columns={['Build', 'Kind', 'Waiting since', 'Why', 'Job', 'Pipeline']}
            note={
              total > builds.length ? (
                <p className="table-note">
                  The oldest {builds.length} of {total} waiting builds.
                </p>
              ) : null
            }
          >
            {builds.map((b) => (
              <tr key={`${b.kind}-${b.buildId}`}>
                <BuildHead buildId={b.buildId} />
                <Cell label="Kind">
                  <span className={`badge ${KIND_TONE[b.kind]}`}>{b.kind}</span>
                </Cell>
                <Cell label="Waiting since">
                  {b.since ? (
                    <time dateTime={b.since} title={formatDateTime(b.since)}>
                      {formatAge(b.since, now)}
                    </time>
                  ) : (
                    '—'
                  )}
                </Cell>
                <Cell label="Why">
                  <Why build={b} now={now} />
                </Cell>
                <Cell label="Job">{b.jobId ?? '—'}</Cell>
                <Cell label="Pipeline">{b.kind === 'pending' ? b.pipeline : (b.pipelineId ?? '—')}</Cell>
              </tr>
            ))}
          </DataTable>
        )}
      </QueryState>
    </>
  );
}
