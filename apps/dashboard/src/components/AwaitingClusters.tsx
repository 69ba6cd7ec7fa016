import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { awaitingQuery, consoleKeys, forgetAwaiting } from '../api/console';
import { errorText } from '../lib/api-errors';
import { formatDateTime } from '../lib/format';
import { notify } from '../lib/notices';
import { href } from '../lib/router';
import { useCanWrite } from '../lib/role';
import { DataTable } from './DataTable';

/** Clusters imported from Screwdriver that wait for their public key; they get no builds until registered. */
export function AwaitingClusters() {
  const client = useQueryClient();
  const canWrite = useCanWrite();
  const awaiting = useQuery(awaitingQuery());
  const forget = useMutation({
    mutationFn: (name: string) => forgetAwaiting(name),
    onSuccess: (_r, name) => {
      notify(`Forgot the imported cluster ${name}.`);
      void client.invalidateQueries({ queryKey: consoleKeys.awaiting() });
    },
    onError: (err) => notify(errorText(err), 'error', 10_000),
  });
  const list = awaiting.data ?? [];
  if (list.length === 0) return null;
  return (
    <section className="section" aria-labelledby="sec-awaiting">
      <h2 id="sec-awaiting">Awaiting a key ({list.length})</h2>
      <p className="muted">Imported from Screwdriver; never given a build until registered with the public key of its workers.</p>
      <DataTable
        caption="Clusters awaiting their key"
        region="Clusters awaiting their key"
        columns={['Name', 'SCM', 'Managed by', 'Imported', canWrite && { label: 'Actions', hidden: true }]}
      >
        {list.map((a) => (
          <tr key={a.name}>
            <th scope="row">
              {a.name} <span className="badge badge--warn">awaiting key</span>
            </th>
            <td>
              {a.scmOrganization === '*' ? <span className="muted">any organization</span> : a.scmOrganization}
              <span className="cell-sub mono">{a.scmContext}</span>
            </td>
            <td>{a.managedBy}</td>
            <td>
              {formatDateTime(a.importedAt)} by {a.importedBy}
              <span className="cell-sub">{a.source}</span>
            </td>
            {canWrite ? (
              <td className="actions">
                <a
                  className="button button--small button--primary"
                  href={`${href.newCluster()}?from=${encodeURIComponent(a.name)}`}
                >
                  Add key…
                </a>{' '}
                <button type="button" className="button button--small" onClick={() => forget.mutate(a.name)}>
                  Forget
                </button>
              </td>
            ) : null}
          </tr>
        ))}
      </DataTable>
    </section>
  );
}
