import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { PauseMode, QueueStats } from '@buildcluster/protocol';
import { consoleKeys, pauseCluster, pauseQuery, resumeCluster } from '../api/console';
import { queueKeys } from '../api/queues';
import { errorText } from '../lib/api-errors';
import { formatDateTime } from '../lib/format';
import { notify } from '../lib/notices';
import { useCanWrite } from '../lib/role';
import { ConfirmDialog } from './ConfirmDialog';
import { Field } from './Field';

const MODES: Array<{ mode: PauseMode; label: string }> = [
  { mode: 'hold', label: 'Keep queuing its builds (they wait here)' },
  { mode: 'divert', label: 'Send Screwdriver-managed builds to other clusters (builds that name it still queue here)' },
];

/** Pause or resume dispatch of a cluster, with a note; the audit trail below. */
export function PauseButton({ cluster, stats }: { cluster: string; stats: QueueStats | undefined }) {
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState('');
  const [mode, setMode] = useState<PauseMode>('hold');
  const [error, setError] = useState<string | null>(null);
  const done = (text: string) => {
    notify(text);
    setOpen(false);
    setNote('');
    void client.invalidateQueries({ queryKey: queueKeys.all });
    void client.invalidateQueries({ queryKey: consoleKeys.pause(cluster) });
  };
  const pause = useMutation({
    mutationFn: () => pauseCluster(cluster, note.trim(), mode),
    onSuccess: () => done(`Dispatch of ${cluster} is paused: builds queue, its workers get nothing.`),
    onError: (err) => setError(errorText(err)),
  });
  const resume = useMutation({
    mutationFn: () => resumeCluster(cluster, note.trim()),
    onSuccess: () => done(`Dispatch of ${cluster} resumed.`),
    onError: (err) => setError(errorText(err)),
  });
  const paused = !!stats?.paused;
  const busy = pause.isPending || resume.isPending;
  return (
    <>
      <button type="button" className="button" onClick={() => (setError(null), setOpen(true))}>
        {paused ? 'Resume dispatch' : 'Pause dispatch'}
      </button>
      <ConfirmDialog
        open={open}
        title={paused ? `Resume dispatch of ${cluster}` : `Pause dispatch of ${cluster}`}
        onClose={() => setOpen(false)}
        confirmLabel={busy ? 'Saving…' : paused ? 'Resume' : 'Pause'}
        confirmDisabled={busy || (!paused && note.trim() === '')}
        onConfirm={() => (paused ? resume.mutate() : pause.mutate())}
        error={error}
      >
        {paused ? (
          <p>Workers of {cluster} get builds again at once, oldest first.</p>
        ) : (
          <>
            <p>
              The cluster stays active and keeps its queue; its workers are handed nothing until you resume. This is not
              deactivating it.
            </p>
            <fieldset className="choices">
              <legend>While paused</legend>
              {MODES.map((m) => (
                <div key={m.mode} className="choice">
                  <input
                    id={`pause-${m.mode}`}
                    type="radio"
                    name="pause-mode"
                    checked={mode === m.mode}
                    onChange={() => setMode(m.mode)}
                  />
                  <label htmlFor={`pause-${m.mode}`}>{m.label}</label>
                </div>
              ))}
            </fieldset>
          </>
        )}
        <Field id="pause-note" label={paused ? 'Note (optional)' : 'Note (why, for the audit trail)'}>
          <input id="pause-note" value={note} onChange={(e) => setNote(e.target.value)} maxLength={500} autoFocus />
        </Field>
      </ConfirmDialog>
    </>
  );
}

/** The "paused" callout and the cluster's audit trail (pauses, resumes, bulk actions). */
export function PauseStatus({ cluster, stats }: { cluster: string; stats: QueueStats | undefined }) {
  const client = useQueryClient();
  const state = useQuery(pauseQuery(cluster));
  const canWrite = useCanWrite();
  // A pause or resume from anywhere (another tab, another operator) adds an audit line: reload it.
  const pausedAt = stats?.paused?.at ?? null;
  useEffect(() => {
    void client.invalidateQueries({ queryKey: consoleKeys.pause(cluster) });
  }, [client, cluster, pausedAt]);
  const paused = stats?.paused ?? state.data?.paused ?? null;
  const audit = state.data?.audit ?? [];
  return (
    <>
      {paused ? (
        <div className="callout callout--warn" role="status">
          <strong>Dispatch paused</strong> by {paused.by} at {formatDateTime(paused.at)}: “{paused.note}”.{' '}
          {paused.mode === 'divert'
            ? 'Screwdriver-managed builds go to other clusters; builds that name this one queue here.'
            : 'Builds keep queuing here; workers get nothing.'}
          {canWrite ? ' Resume it from the actions above.' : null}
        </div>
      ) : null}
      {audit.length > 0 ? (
        <details className="audit">
          <summary>Audit trail ({audit.length})</summary>
          <ol className="timeline">
            {audit.map((a, i) => (
              <li key={`${a.at}-${i}`}>
                <time dateTime={a.at}>{formatDateTime(a.at)}</time> <strong>{a.action}</strong> by {a.by}
                {a.note ? ` — ${a.note}` : ''}
              </li>
            ))}
          </ol>
        </details>
      ) : null}
    </>
  );
}
