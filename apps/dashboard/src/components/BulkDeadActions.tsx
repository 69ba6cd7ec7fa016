import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { BulkResult } from '@buildcluster/protocol';
import { bulkPurgeDead, bulkRequeueDead, consoleKeys } from '../api/console';
import { queueKeys } from '../api/queues';
import { errorText } from '../lib/api-errors';
import { formatIdList } from '../lib/format';
import { notify } from '../lib/notices';
import { ConfirmDialog } from './ConfirmDialog';

type Action = { kind: 'requeue'; ids: number[] | null } | { kind: 'purge'; before: string };

function describe(action: Action): string {
  if (action.kind === 'purge') return `Purge the dead letters that died before ${new Date(action.before).toLocaleString()}`;
  return action.ids ? `Requeue the ${action.ids.length} selected dead letters` : 'Requeue every dead letter';
}

/**
 * Requeue all or the selected dead letters, or purge those older than a date. Each opens a
 * preview first: the broker's dry run says how many builds the action will touch.
 */
export function BulkDeadActions({
  cluster,
  selected,
  total,
  onDone,
}: {
  cluster: string;
  selected: number[];
  total: number;
  onDone: () => void;
}) {
  const client = useQueryClient();
  const [action, setAction] = useState<Action | null>(null);
  const [preview, setPreview] = useState<BulkResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [before, setBefore] = useState(() => new Date(Date.now() - 7 * 86400_000).toISOString().slice(0, 10));
  const call = (a: Action, dryRun: boolean) =>
    a.kind === 'purge' ? bulkPurgeDead(cluster, a.before, dryRun) : bulkRequeueDead(cluster, a.ids, dryRun);
  const dry = useMutation({
    mutationFn: (a: Action) => call(a, true),
    onSuccess: (r) => setPreview(r),
    onError: (err) => setError(errorText(err)),
  });
  const run = useMutation({
    mutationFn: (a: Action) => call(a, false),
    onSuccess: (r, a) => {
      const what = a.kind === 'purge' ? 'purged' : 'requeued';
      const skipped = r.skipped.length > 0 ? `; ${r.skipped.length} skipped (${r.skipped[0]!.reason})` : '';
      notify(`${r.done} of ${r.matched} dead letters ${what} on ${cluster}${skipped}.`, 'success', 10_000);
      setAction(null);
      onDone();
      void client.invalidateQueries({ queryKey: queueKeys.dead(cluster) });
      void client.invalidateQueries({ queryKey: queueKeys.detail(cluster) });
      void client.invalidateQueries({ queryKey: consoleKeys.pause(cluster) });
    },
    onError: (err) => setError(errorText(err)),
  });
  const open = (a: Action) => {
    setError(null);
    setPreview(null);
    setAction(a);
    dry.mutate(a);
  };
  return (
    <div className="bulk-bar" role="group" aria-label="Bulk actions on dead letters">
      <button
        type="button"
        className="button button--small"
        disabled={total === 0}
        onClick={() => open({ kind: 'requeue', ids: null })}
      >
        Requeue all…
      </button>
      <button
        type="button"
        className="button button--small"
        disabled={selected.length === 0}
        onClick={() => open({ kind: 'requeue', ids: selected })}
      >
        Requeue selected ({selected.length})…
      </button>
      <span className="bulk-bar__purge">
        <label htmlFor={`purge-before-${cluster}`}>Died before</label>
        <input id={`purge-before-${cluster}`} type="date" value={before} onChange={(e) => setBefore(e.target.value)} />
        <button
          type="button"
          className="button button--small button--danger"
          disabled={!before}
          onClick={() => open({ kind: 'purge', before: new Date(`${before}T00:00:00`).toISOString() })}
        >
          Purge…
        </button>
      </span>
      <ConfirmDialog
        open={action !== null}
        title={action ? describe(action) : ''}
        tone={action?.kind === 'purge' ? 'danger' : 'default'}
        onClose={() => setAction(null)}
        confirmLabel={
          run.isPending
            ? 'Working…'
            : preview
              ? `${action?.kind === 'purge' ? 'Purge' : 'Requeue'} ${preview.matched} build${preview.matched === 1 ? '' : 's'}`
              : 'Counting…'
        }
        confirmDisabled={!preview || preview.matched === 0 || run.isPending}
        onConfirm={() => action && run.mutate(action)}
        error={error}
      >
        {dry.isPending ? <p role="status">Counting the builds this touches…</p> : null}
        {preview ? (
          <p role="status">
            This will touch <strong>{preview.matched}</strong> build{preview.matched === 1 ? '' : 's'}
            {preview.buildIds.length > 0 ? `: ${formatIdList(preview.buildIds)}` : ''}.
            {action?.kind === 'purge'
              ? ' Purged builds leave the dead letters for good.'
              : ' They go to the tail of the queue with their attempts reset.'}
          </p>
        ) : null}
      </ConfirmDialog>
    </div>
  );
}
