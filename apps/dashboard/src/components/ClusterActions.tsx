import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { BuildCluster, QueueStats } from '@buildcluster/protocol';
import { ApiError } from '../api/client';
import { deleteCluster, forgetCluster, storeCluster, updateCluster } from '../api/clusters';
import { errorText, fieldErrorFrom } from '../lib/api-errors';
import { normalizePem } from '../lib/cluster-form';
import { formatCount, formatDateTime } from '../lib/format';
import { notify } from '../lib/notices';
import { href, navigate } from '../lib/router';
import { Dialog } from './Dialog';
import { PauseButton } from './PauseControl';
import { useCanWrite } from '../lib/role';
import { PemInput } from './PemInput';

interface Props {
  cluster: BuildCluster;
  stats: QueueStats | undefined;
}

/** Edit, activate/deactivate, rotate the key, delete (with the 409 "drain first" explained). */
export function ClusterActions({ cluster, stats }: Props) {
  const client = useQueryClient();
  const [dialog, setDialog] = useState<'rotate' | 'delete' | null>(null);
  const canWrite = useCanWrite();

  const toggle = useMutation({
    mutationFn: () => updateCluster(cluster.name, { isActive: !cluster.isActive }),
    onSuccess: (updated) => {
      storeCluster(client, updated);
      notify(
        updated.isActive
          ? `${updated.name} is active: it gets new builds.`
          : `${updated.name} is inactive: it gets no new builds; its queue drains.`,
      );
    },
    onError: (err) => notify(`Could not change ${cluster.name}: ${errorText(err)}`, 'error', 10_000),
  });

  // A viewer token changes nothing: no button that could only earn a 403.
  if (!canWrite) return <span className="badge badge--muted">read-only</span>;
  return (
    <div className="actions-bar" role="group" aria-label="Cluster actions">
      <PauseButton cluster={cluster.name} stats={stats} />
      <a className="button" href={href.editCluster(cluster.name)}>
        Edit
      </a>
      <button type="button" className="button" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
        {cluster.isActive ? 'Deactivate' : 'Activate'}
      </button>
      <button type="button" className="button" onClick={() => setDialog('rotate')}>
        Rotate key
      </button>
      <button type="button" className="button button--danger" onClick={() => setDialog('delete')}>
        Delete
      </button>
      <RotateKeyDialog cluster={cluster} open={dialog === 'rotate'} onClose={() => setDialog(null)} />
      <DeleteDialog cluster={cluster} stats={stats} open={dialog === 'delete'} onClose={() => setDialog(null)} />
    </div>
  );
}

function RotateKeyDialog({ cluster, open, onClose }: { cluster: BuildCluster; open: boolean; onClose: () => void }) {
  const client = useQueryClient();
  const [pem, setPem] = useState('');
  const [error, setError] = useState<string | undefined>();
  const rotate = useMutation({
    mutationFn: () => updateCluster(cluster.name, { publicKey: normalizePem(pem) }),
    onSuccess: (updated) => {
      storeCluster(client, updated);
      const until = updated.previousKey
        ? ` The previous key is accepted until ${formatDateTime(updated.previousKey.validUntil)}.`
        : '';
      notify(`Rotated the key of ${updated.name}.${until}`, 'success', 12_000);
      setPem('');
      onClose();
    },
    onError: (err) => setError(fieldErrorFrom(err, ['publicKey']).message),
  });
  const submit = () => {
    if (pem.trim() === '') return setError('Paste or upload the new public key');
    if (/PRIVATE KEY-----/.test(pem)) return setError('This is a private key. Paste the public key.');
    setError(undefined);
    rotate.mutate();
  };
  return (
    <Dialog
      open={open}
      title={`Rotate the key of ${cluster.name}`}
      onClose={onClose}
      actions={
        <>
          <button type="button" className="button button--primary" onClick={submit} disabled={rotate.isPending}>
            {rotate.isPending ? 'Rotating…' : 'Rotate key'}
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </>
      }
    >
      <p>
        Workers may sign with the new key at once. Tokens signed with the current key (
        <code className="fingerprint">{cluster.publicKeyFingerprint.slice(0, 23)}…</code>) stay valid for the grace period, so
        workers can switch over without a gap.
      </p>
      <PemInput
        id="rotate-public-key"
        label="New public key (PEM)"
        required
        value={pem}
        onChange={(v) => {
          setPem(v);
          setError(undefined);
        }}
        error={error}
      />
    </Dialog>
  );
}

function DeleteDialog({ cluster, stats, open, onClose }: Props & { open: boolean; onClose: () => void }) {
  const client = useQueryClient();
  const [busy, setBusy] = useState<ApiError | null>(null);
  const remove = useMutation({
    mutationFn: () => deleteCluster(cluster.name),
    onSuccess: () => {
      forgetCluster(client, cluster.name);
      notify(`Deleted ${cluster.name}.`);
      onClose();
      navigate(href.clusters());
    },
    onError: (err) => {
      if (err instanceof ApiError && err.status === 409) setBusy(err);
      else notify(`Could not delete ${cluster.name}: ${errorText(err)}`, 'error', 10_000);
    },
  });
  const deactivate = useMutation({
    mutationFn: () => updateCluster(cluster.name, { isActive: false }),
    onSuccess: (updated) => {
      storeCluster(client, updated);
      notify(`${updated.name} is inactive; delete it once its queue is empty.`);
    },
    onError: (err) => notify(`Could not deactivate ${cluster.name}: ${errorText(err)}`, 'error', 10_000),
  });
  const close = () => {
    setBusy(null);
    onClose();
  };
  const holds = stats ? stats.depth + stats.inFlight : null;
  return (
    <Dialog
      open={open}
      tone="danger"
      title={`Delete ${cluster.name}?`}
      onClose={close}
      actions={
        <>
          <button type="button" className="button button--danger" onClick={() => remove.mutate()} disabled={remove.isPending}>
            {remove.isPending ? 'Deleting…' : busy ? 'Try again' : 'Delete cluster'}
          </button>
          {busy && cluster.isActive ? (
            <button type="button" className="button" onClick={() => deactivate.mutate()} disabled={deactivate.isPending}>
              Deactivate now
            </button>
          ) : null}
          <button type="button" className="button" onClick={close} autoFocus>
            Cancel
          </button>
        </>
      }
    >
      <p>
        Its registration, key and queue go away; its workers are refused from then on. Builds that name this cluster will fall
        back to the shared pool or wait as pending.
      </p>
      {stats && !busy ? (
        <p>
          Its queue holds <strong>{formatCount(stats.depth)}</strong> queued and <strong>{formatCount(stats.inFlight)}</strong>{' '}
          leased builds{stats.dead ? `, and ${formatCount(stats.dead)} dead` : ''}.
        </p>
      ) : null}
      {busy ? (
        <div className="callout callout--warn" role="alert">
          <strong>Not deleted: {cluster.name} still has work.</strong>
          <p>
            {holds !== null ? `Now ${formatCount(stats?.depth)} queued and ${formatCount(stats?.inFlight)} in flight. ` : ''}
            {cluster.isActive
              ? 'Deactivate it so it gets no new builds, let its workers drain the queue, then delete it.'
              : 'It is inactive and gets no new builds: once its workers have drained the queue, try again.'}
          </p>
          <p className="muted small-text">Broker: {busy.message}</p>
        </div>
      ) : null}
    </Dialog>
  );
}
