import { useEffect, useRef, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { deadLettersQuery, queueKeys, requeueDeadBuild } from '../api/queues';
import { useFallbackInterval } from '../api/live';
import { formatAge, formatClock } from '../lib/format';
import { errorText } from '../lib/api-errors';
import { notify } from '../lib/notices';
import { href } from '../lib/router';
import { useNow } from '../lib/use-now';
import { Empty, ErrorNotice, Loading } from './States';
import { BulkDeadActions } from './BulkDeadActions';
import { useCanWrite } from '../lib/role';

/** Builds that used up their attempts; each can go back to the queue's tail. */
export function DeadLetters({ cluster, count }: { cluster: string; count: number | undefined }) {
  const client = useQueryClient();
  const now = useNow(10_000);
  const dead = useQuery({ ...deadLettersQuery(cluster), refetchInterval: useFallbackInterval(10_000) });
  const canWrite = useCanWrite();
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const toggle = (id: number) =>
    setSelected((old) => {
      const next = new Set(old);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  // The stats say how many are dead; refetch the list whenever that number moves.
  const seen = useRef(count);
  useEffect(() => {
    if (count === seen.current) return;
    seen.current = count;
    void client.invalidateQueries({ queryKey: queueKeys.dead(cluster) });
  }, [client, cluster, count]);
  const requeue = useMutation({
    mutationFn: (buildId: number) => requeueDeadBuild(cluster, buildId),
    onSuccess: (_data, buildId) => {
      notify(`Build ${buildId} is queued again on ${cluster}.`);
      void client.invalidateQueries({ queryKey: queueKeys.dead(cluster) });
      void client.invalidateQueries({ queryKey: queueKeys.detail(cluster) });
    },
    onError: (err, buildId) => notify(`Could not requeue build ${buildId}: ${errorText(err)}`, 'error', 10_000),
  });
  if (dead.isPending) return <Loading what="dead letters" />;
  if (dead.error) return <ErrorNotice error={dead.error} title="Could not load the dead letters" />;
  if (dead.data.length === 0) return <Empty>No dead builds.</Empty>;
  const startIds = dead.data.filter((d) => d.type === 'start').map((d) => d.buildId);
  const chosen = [...selected].filter((id) => startIds.includes(id));
  return (
    <>
      {canWrite ? (
        <BulkDeadActions cluster={cluster} selected={chosen} total={startIds.length} onDone={() => setSelected(new Set())} />
      ) : null}
      <div className="table-wrap">
        <table className="table table--cards">
          <caption className="sr-only">Dead letters</caption>
          <thead>
            <tr>
              {canWrite ? (
                <th scope="col">
                  <span className="sr-only">Select</span>
                </th>
              ) : null}
              <th scope="col">Build</th>
              <th scope="col">Type</th>
              <th scope="col" className="num">
                Attempts
              </th>
              <th scope="col">Reason</th>
              <th scope="col" className="num">
                Died
              </th>
              {canWrite ? (
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {dead.data.map((build) => {
              const busy = requeue.isPending && requeue.variables === build.buildId;
              return (
                <tr key={`${build.buildId}-${build.type}`}>
                  {canWrite ? (
                    <td className="select-cell">
                      {build.type === 'start' ? (
                        <input
                          type="checkbox"
                          checked={selected.has(build.buildId)}
                          onChange={() => toggle(build.buildId)}
                          aria-label={`Select build ${build.buildId}`}
                        />
                      ) : null}
                    </td>
                  ) : null}
                  <th scope="row" className="card-title">
                    <a href={href.builds(build.buildId)}>{build.buildId}</a>
                  </th>
                  <td data-label="Type">{build.type}</td>
                  <td className="num" data-label="Attempts">
                    {build.attempts}
                  </td>
                  <td data-label="Reason">{build.reason}</td>
                  <td className="num" title={formatClock(build.diedAt)} data-label="Died">
                    {formatAge(build.diedAt, now)}
                  </td>
                  {canWrite ? (
                    <td className="actions">
                      <button
                        type="button"
                        className="button button--small"
                        disabled={busy}
                        onClick={() => requeue.mutate(build.buildId)}
                        aria-label={`Requeue build ${build.buildId}`}
                      >
                        {busy ? 'Requeueing…' : 'Requeue'}
                      </button>
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
