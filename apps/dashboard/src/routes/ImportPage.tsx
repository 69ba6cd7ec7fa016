import { useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ImportPreview } from '@buildcluster/protocol';
import { consoleKeys, previewImport, runImport } from '../api/console';
import { errorText } from '../lib/api-errors';
import { notify } from '../lib/notices';
import { href } from '../lib/router';
import { useCanWrite } from '../lib/role';
import { toggled } from '../lib/toggled';
import { Crumbs } from '../components/Crumbs';
import { DataTable } from '../components/DataTable';
import { Field } from '../components/Field';
import { ErrorNotice } from '../components/States';

const STATUS_TEXT = {
  missing: 'not in the broker',
  same: 'registered, same',
  differs: 'registered, differs',
  'awaiting-key': 'imported, awaiting its key',
} as const;

/**
 * Import build clusters from a Screwdriver API: list its clusters next to the broker's, then save
 * the missing ones as registrations awaiting their key. The token is sent to the broker for this
 * one call and never stored.
 */
export function ImportPage() {
  const client = useQueryClient();
  const canWrite = useCanWrite();
  const [apiUrl, setApiUrl] = useState('');
  const [token, setToken] = useState('');
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const list = useMutation({
    mutationFn: () => previewImport(apiUrl.trim(), token.trim()),
    onSuccess: (p) => {
      setPreview(p);
      setChosen(new Set(p.clusters.filter((c) => c.status === 'missing').map((c) => c.source.name)));
    },
    onError: (err) => setError(errorText(err)),
  });
  const save = useMutation({
    mutationFn: () => runImport(apiUrl.trim(), token.trim(), [...chosen]),
    onSuccess: (r) => {
      notify(
        `Imported ${r.imported.length} clusters awaiting their key${r.skipped.length ? `; ${r.skipped.length} skipped` : ''}.`,
      );
      void client.invalidateQueries({ queryKey: consoleKeys.awaiting() });
      list.mutate();
    },
    onError: (err) => setError(errorText(err)),
  });
  if (!canWrite) {
    return (
      <section>
        <h1>Import from Screwdriver</h1>
        <p className="callout">Importing clusters needs an admin token; this session is read-only.</p>
      </section>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (!/^https?:\/\/./.test(apiUrl.trim())) return setError('The Screwdriver API URL starts with http:// or https://');
    if (!token.trim()) return setError("Paste a Screwdriver admin's API token");
    list.mutate();
  };
  const toggle = (name: string) => setChosen((old) => toggled(old, name));
  return (
    <>
      <Crumbs trail={[['Clusters', href.clusters()]]} current="Import" />
      <h1>Import build clusters from Screwdriver</h1>
      <p className="muted">
        Lists the clusters of the Screwdriver API (<code>GET /v4/buildclusters</code>) beside the broker&apos;s. Missing ones are
        saved as registrations awaiting their key: a cluster without a key is never given a build. Register each with its public
        key to finish.
      </p>
      <form className="search-form" onSubmit={submit} aria-label="Screwdriver API" noValidate>
        <Field id="import-url" label="Screwdriver API URL" className="field--grow">
          <input
            id="import-url"
            value={apiUrl}
            onChange={(e) => setApiUrl(e.target.value)}
            placeholder="https://api.cd.example.com"
          />
        </Field>
        <Field id="import-token" label="Admin API token" className="field--grow">
          <input id="import-token" type="password" value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" />
        </Field>
        <button type="submit" className="button button--primary" disabled={list.isPending}>
          {list.isPending ? 'Reading…' : 'List clusters'}
        </button>
      </form>
      {error ? <ErrorNotice error={error} /> : null}
      {preview ? (
        <section className="section" aria-labelledby="sec-import-list">
          <h2 id="sec-import-list">{preview.clusters.length} clusters in Screwdriver</h2>
          <DataTable
            caption="Clusters of the Screwdriver API and their state in the broker"
            region="Clusters of the Screwdriver API"
            columns={[
              { label: 'Import', hidden: true },
              'Name',
              'In the broker',
              'SCM',
              'Managed by Screwdriver',
              { label: 'Weight', num: true },
              'Group / maintainer',
            ]}
          >
            {preview.clusters.map((c) => (
              <tr key={c.source.name} className={c.status === 'same' ? 'row--muted' : undefined}>
                <td className="select-cell">
                  {c.status === 'missing' ? (
                    <input
                      type="checkbox"
                      checked={chosen.has(c.source.name)}
                      onChange={() => toggle(c.source.name)}
                      aria-label={`Import ${c.source.name}`}
                    />
                  ) : null}
                </td>
                <th scope="row">
                  {c.status === 'missing' || c.status === 'awaiting-key' ? (
                    c.source.name
                  ) : (
                    <a href={href.cluster(c.source.name)}>{c.source.name}</a>
                  )}
                </th>
                <td>
                  <span
                    className={`badge ${c.status === 'differs' ? 'badge--warn' : c.status === 'same' ? 'badge--ok' : 'badge--info'}`}
                  >
                    {STATUS_TEXT[c.status]}
                  </span>
                  {c.differences.map((d) => (
                    <span key={d} className="cell-sub">
                      {d}
                    </span>
                  ))}
                </td>
                <td>
                  {c.source.scmOrganizations.length ? (
                    c.source.scmOrganizations.join(', ')
                  ) : (
                    <span className="muted">any organization</span>
                  )}
                  <span className="cell-sub mono">{c.source.scmContext}</span>
                </td>
                <td>
                  {c.source.managedByScrewdriver ? 'yes' : 'no'}
                  {c.source.isActive ? '' : <span className="cell-sub">inactive</span>}
                </td>
                <td className="num">{c.source.weightage}</td>
                <td>
                  {c.source.group ?? '—'}
                  {c.source.maintainer ? <span className="cell-sub">{c.source.maintainer}</span> : null}
                </td>
              </tr>
            ))}
          </DataTable>
          <div className="form-actions">
            <button
              type="button"
              className="button button--primary"
              disabled={chosen.size === 0 || save.isPending}
              onClick={() => save.mutate()}
            >
              {save.isPending ? 'Importing…' : `Import ${chosen.size} cluster${chosen.size === 1 ? '' : 's'} awaiting a key`}
            </button>
          </div>
        </section>
      ) : null}
    </>
  );
}
