import { useEffect, useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { buildQuery } from '../api/builds';
import { ApiError } from '../api/client';
import { recentBuildEvents } from '../api/build-events';
import { useStore } from '../lib/store';
import { formatClock, formatDateTime, formatRelative } from '../lib/format';
import { href, navigate } from '../lib/router';
import { useNow } from '../lib/use-now';
import { BuildStateBadge } from '../components/Badges';
import { describedBy } from '../components/Field';
import { ErrorNotice, Loading } from '../components/States';
import { BlockingLinks, WaitingBuilds } from '../components/WaitingBuilds';
import { BuildSearch } from '../components/BuildSearch';
import { FoundBuilds } from '../components/BuildList';
import { CancelQueued } from '../components/CancelQueued';
import { consoleKeys } from '../api/console';
import { useCanWrite } from '../lib/role';

export function BuildsPage({ buildId }: { buildId: number | null }) {
  const canWrite = useCanWrite();
  return (
    <>
      <h1>Builds</h1>
      <section aria-labelledby="sec-lookup" className="section">
        <h2 id="sec-lookup">Look up a build</h2>
        <BuildLookup buildId={buildId} />
      </section>
      <section aria-labelledby="sec-search" className="section">
        <h2 id="sec-search">Find builds</h2>
        <BuildSearch />
      </section>
      {canWrite ? (
        <section aria-labelledby="sec-cancel" className="section">
          <h2 id="sec-cancel">Cancel queued builds of a pipeline or job</h2>
          <CancelQueued />
        </section>
      ) : null}
      <section aria-labelledby="sec-pending" className="section">
        <h2 id="sec-pending">Pending and blocked builds</h2>
        <WaitingBuilds />
      </section>
      <section aria-labelledby="sec-activity" className="section">
        <h2 id="sec-activity">Recent build activity</h2>
        <Activity />
      </section>
    </>
  );
}

function BuildLookup({ buildId }: { buildId: number | null }) {
  const [input, setInput] = useState(buildId ? String(buildId) : '');
  const [inputError, setInputError] = useState<string | undefined>();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const id = Number(input.trim());
    if (!Number.isSafeInteger(id) || id < 1) {
      setInputError('A build id is a positive whole number');
      return;
    }
    setInputError(undefined);
    navigate(href.builds(id));
  };
  return (
    <>
      <form className="inline-form" onSubmit={submit} role="search" aria-label="Look up a build" noValidate>
        <div className={`field${inputError ? ' field--invalid' : ''}`}>
          <label htmlFor="build-id">Build id</label>
          <input
            {...describedBy('build-id', inputError)}
            inputMode="numeric"
            data-shortcut-search
            value={input}
            onChange={(e) => setInput(e.target.value)}
            autoComplete="off"
          />
          {inputError ? (
            <p className="field__error" id="build-id-error" role="alert">
              {inputError}
            </p>
          ) : null}
        </div>
        <button type="submit" className="button button--primary">
          Look up
        </button>
      </form>
      {buildId ? <BuildStatusView key={buildId} buildId={buildId} /> : null}
    </>
  );
}

function BuildStatusView({ buildId }: { buildId: number }) {
  const now = useNow(1000);
  const build = useQuery({ ...buildQuery(buildId), refetchInterval: 5000 });
  if (build.isPending) return <Loading what={`build ${buildId}`} />;
  if (build.error) {
    if (build.error instanceof ApiError && build.error.status === 404)
      return (
        <div className="callout" role="status">
          The broker knows no build {buildId}: it was never scheduled here, or it finished long ago.
        </div>
      );
    return <ErrorNotice error={build.error} title={`Could not load build ${buildId}`} />;
  }
  const b = build.data;
  return (
    <article className="build" aria-label={`Build ${buildId}`}>
      <h3>
        Build {b.buildId} <BuildStateBadge state={b.state} />
      </h3>
      <dl className="facts">
        <dt>Cluster</dt>
        <dd>{b.cluster ? <a href={href.cluster(b.cluster)}>{b.cluster}</a> : <span className="muted">none yet</span>}</dd>
        {b.position !== undefined ? (
          <>
            <dt>Position</dt>
            <dd>
              <strong>{b.position}</strong> in the queue
            </dd>
          </>
        ) : null}
        <dt>Attempts</dt>
        <dd>{b.attempts}</dd>
        <dt>Queued</dt>
        <dd>
          {formatDateTime(b.enqueuedAt)} ({formatRelative(b.enqueuedAt, now)})
        </dd>
        {b.leasedBy ? (
          <>
            <dt>Leased by</dt>
            <dd>
              <code>{b.leasedBy}</code>
              {b.leaseExpiresAt ? ` · lease ends ${formatRelative(b.leaseExpiresAt, now)}` : ''}
            </dd>
          </>
        ) : null}
        {b.ackedAt ? (
          <>
            <dt>Acked</dt>
            <dd>{formatDateTime(b.ackedAt)}</dd>
          </>
        ) : null}
        {b.blockedBy ? (
          <>
            <dt>Blocked by</dt>
            <dd>
              {b.blockedBy.length === 0 ? (
                'an older build of its job, or being released'
              ) : (
                <BlockingLinks blocking={b.blockedBy} />
              )}
              {b.blockedSince ? ` · since ${formatRelative(b.blockedSince, now)}` : ''}
            </dd>
          </>
        ) : b.pendingReason ? (
          <>
            <dt>Why pending</dt>
            <dd>{b.pendingReason}</dd>
          </>
        ) : null}
      </dl>
      {b.history && b.history.length > 0 ? (
        <>
          <h4>History</h4>
          <ol className="timeline">
            {b.history.map((h, i) => (
              <li key={i}>
                <time dateTime={h.at}>{formatClock(h.at)}</time> <strong>{h.state}</strong>
                {h.detail ? <span className="muted"> · {h.detail}</span> : null}
              </li>
            ))}
          </ol>
        </>
      ) : null}
    </article>
  );
}

const ACTIVITY_ROWS = 15;
const RECENT = `limit=${ACTIVITY_ROWS}`;

/**
 * The latest builds, one row each with its current state: read from the broker (so a reload
 * keeps them), refetched when the live socket reports a build change.
 */
function Activity() {
  const client = useQueryClient();
  const events = useStore(recentBuildEvents);
  const latest = events[0]?.at;
  useEffect(() => {
    if (!latest) return;
    const timer = setTimeout(() => void client.invalidateQueries({ queryKey: consoleKeys.search(RECENT) }), 400);
    return () => clearTimeout(timer);
  }, [client, latest]);
  return (
    <FoundBuilds
      search={RECENT}
      what="recent builds"
      failure="Could not load the recent builds"
      empty="No build was sent to the broker yet."
      caption="The latest builds, newest first"
    />
  );
}
