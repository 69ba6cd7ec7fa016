import { useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { BulkCancelBody, BulkResult } from '@buildcluster/protocol';
import { bulkCancel } from '../api/console';
import { errorText } from '../lib/api-errors';
import { formatIdList } from '../lib/format';
import { notify } from '../lib/notices';
import { ConfirmDialog } from './ConfirmDialog';
import { Field } from './Field';
import { ErrorNotice } from './States';

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
        <Field id="cancel-pipeline" label="Pipeline (id or name)">
          <input id="cancel-pipeline" value={pipeline} onChange={(e) => setPipeline(e.target.value)} />
        </Field>
        <Field id="cancel-job" label="Job (id, or name with a pipeline)">
          <input id="cancel-job" value={job} onChange={(e) => setJob(e.target.value)} />
        </Field>
        <button type="submit" className="button button--danger" disabled={dry.isPending || (!pipeline.trim() && !job.trim())}>
          Preview cancel…
        </button>
      </form>
      {error && !preview ? <ErrorNotice error={error} /> : null}
      <ConfirmDialog
        open={preview !== null}
        tone="danger"
        title="Cancel queued builds"
        onClose={() => setPreview(null)}
        cancelLabel="Keep them"
        confirmLabel={run.isPending ? 'Cancelling…' : `Cancel ${preview?.matched ?? 0} build${preview?.matched === 1 ? '' : 's'}`}
        confirmDisabled={!preview || preview.matched === 0 || run.isPending}
        onConfirm={() => run.mutate()}
        error={error}
      >
        <p role="status">
          {preview?.matched === 0
            ? 'No queued or pending build matches.'
            : `This cancels ${preview?.matched} queued or pending build${preview?.matched === 1 ? '' : 's'}: ${formatIdList(preview?.buildIds ?? [])}. Builds already running are not touched.`}
        </p>
      </ConfirmDialog>
    </>
  );
}
