import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { awaitingQuery, consoleKeys, forgetAwaiting } from '../api/console';
import { errorText } from '../lib/api-errors';
import { formatDateTime } from '../lib/format';
import { notify } from '../lib/notices';
import { href } from '../lib/router';
import { useCanWrite } from '../lib/role';

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
      <div className="table-wrap" tabIndex={0} role="region" aria-label="Clusters awaiting their key">
        <table className="table">
          <caption className="sr-only">Clusters awaiting their key</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">SCM</th>
              <th scope="col">Managed by</th>
              <th scope="col">Imported</th>
              {canWrite ? (
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
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
          </tbody>
        </table>
      </div>
    </section>
  );
}
