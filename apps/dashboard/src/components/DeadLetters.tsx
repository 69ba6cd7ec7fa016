import { useEffect, useRef, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { DeadBuild } from '@buildcluster/protocol';
import { deadLettersQuery, queueKeys, requeueDeadBuild } from '../api/queues';
import { useFallbackInterval } from '../api/live';
import { formatAge, formatClock } from '../lib/format';
import { errorText } from '../lib/api-errors';
import { notify } from '../lib/notices';
import { toggled } from '../lib/toggled';
import { useNow } from '../lib/use-now';
import { BuildHead, Cell } from './Cells';
import { DataTable } from './DataTable';
import { QueryState } from './States';
import { BulkDeadActions } from './BulkDeadActions';
import { useCanWrite } from '../lib/role';

/** Builds that used up their attempts; each can go back to the queue's tail. */
export function DeadLetters({ cluster, count }: { cluster: string; count: number | undefined }) {
  const client = useQueryClient();
  const now = useNow(10_000);
  const dead = useQuery({ ...deadLettersQuery(cluster), refetchInterval: useFallbackInterval(10_000) });
  const canWrite = useCanWrite();
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const toggle = (id: number) => setSelected((old) => toggled(old, id));
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
  // The bulk actions and the table, once the list is loaded and not empty.
  const table = (list: DeadBuild[]) => {
    const startIds = list.filter((d) => d.type === 'start').map((d) => d.buildId);
    const chosen = [...selected].filter((id) => startIds.includes(id));
    return (
      <>
        {canWrite ? (
          <BulkDeadActions cluster={cluster} selected={chosen} total={startIds.length} onDone={() => setSelected(new Set())} />
        ) : null}
        <DataTable
          caption="Dead letters"
          className="table--cards"
          columns={[
            canWrite && { label: 'Select', hidden: true },
            'Build',
            'Type',
            { label: 'Attempts', num: true },
            'Reason',
            { label: 'Died', num: true },
            canWrite && { label: 'Actions', hidden: true },
          ]}
        >
          {list.map((build) => {
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
                <BuildHead buildId={build.buildId} />
                <Cell label="Type">{build.type}</Cell>
                <Cell num label="Attempts">
                  {build.attempts}
                </Cell>
                <Cell label="Reason">{build.reason}</Cell>
                <Cell num title={formatClock(build.diedAt)} label="Died">
                  {formatAge(build.diedAt, now)}
                </Cell>
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
        </DataTable>
      </>
    );
  };
  return (
    <QueryState
      query={dead}
      what="dead letters"
      failure="Could not load the dead letters"
      isEmpty={(list) => list.length === 0}
      empty="No dead builds."
    >
      {table}
    </QueryState>
  );
}
