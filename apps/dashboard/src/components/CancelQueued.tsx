import { useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { BulkCancelBody, BulkResult } from '@buildcluster/protocol';
import { bulkCancel } from '../api/console';
import { errorText } from '../lib/api-errors';
import { notify } from '../lib/notices';
import { Dialog } from './Dialog';

function body(pipeline: string, job: string, cluster: string): BulkCancelBody {
  const b: BulkCancelBody = {};
  const p = pipeline.trim();
  const j = job.trim();
  if (p) Object.assign(b, /^\d+$/.test(p) ? { pipelineId: Number(p) } : { pipelineName: p });
  if (j) Object.assign(b, /^\d+$/.test(j) ? { jobId: Number(j) } : { jobName: j });
  if (cluster.trim()) b.cluster = cluster.trim();
  return b;
}

/** Cancel every queued (or pending) build of a pipeline or a job, after a preview of how many. */
export function CancelQueued() {
  const client = useQueryClient();
  const [pipeline, setPipeline] = useState('');
  const [job, setJob] = useState('');
  const [preview, setPreview] = useState<BulkResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const dry = useMutation({
    mutationFn: () => bulkCancel({ ...body(pipeline, job, ''), dryRun: true }),
    onSuccess: (r) => setPreview(r),
    onError: (err) => setError(errorText(err)),
  });
  const run = useMutation({
    mutationFn: () => bulkCancel(body(pipeline, job, '')),
    onSuccess: (r) => {
      notify(
        `Cancelled ${r.done} of ${r.matched} queued builds${r.skipped.length ? `; ${r.skipped.length} had moved on` : ''}.`,
        'success',
        10_000,
      );
      setPreview(null);
      void client.invalidateQueries({ queryKey: ['console'] });
      void client.invalidateQueries({ queryKey: ['builds'] });
    },
    onError: (err) => setError(errorText(err)),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    dry.mutate();
  };
  return (
    <>
      <form className="search-form" onSubmit={submit} aria-label="Cancel queued builds" noValidate>
        <div className="field">
          <label htmlFor="cancel-pipeline">Pipeline (id or name)</label>
          <input id="cancel-pipeline" value={pipeline} onChange={(e) => setPipeline(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="cancel-job">Job (id, or name with a pipeline)</label>
          <input id="cancel-job" value={job} onChange={(e) => setJob(e.target.value)} />
        </div>
        <button type="submit" className="button button--danger" disabled={dry.isPending || (!pipeline.trim() && !job.trim())}>
          Preview cancel…
        </button>
      </form>
      {error && !preview ? (
        <div className="callout callout--danger" role="alert">
          {error}
        </div>
      ) : null}
      <Dialog
        open={preview !== null}
        tone="danger"
        title="Cancel queued builds"
        onClose={() => setPreview(null)}
        actions={
          <>
            <button type="button" className="button" onClick={() => setPreview(null)}>
              Keep them
            </button>
            <button
              type="button"
              className="button button--danger"
              disabled={!preview || preview.matched === 0 || run.isPending}
              onClick={() => run.mutate()}
            >
              {run.isPending ? 'Cancelling…' : `Cancel ${preview?.matched ?? 0} build${preview?.matched === 1 ? '' : 's'}`}
            </button>
          </>
        }
      >
        <p role="status">
          {preview?.matched === 0
            ? 'No queued or pending build matches.'
            : `This cancels ${preview?.matched} queued or pending build${preview?.matched === 1 ? '' : 's'}: ${preview?.buildIds.slice(0, 20).join(', ')}${(preview?.buildIds.length ?? 0) > 20 ? '…' : ''}. Builds already running are not touched.`}
        </p>
        {error ? (
          <div className="callout callout--danger" role="alert">
            {error}
          </div>
        ) : null}
      </Dialog>
    </>
  );
}
