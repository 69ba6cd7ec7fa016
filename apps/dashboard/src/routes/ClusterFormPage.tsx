import { useQuery, useQueryClient } from '@tanstack/react-query';
import { clusterQuery, createCluster, storeCluster, updateCluster } from '../api/clusters';
import { ClusterForm } from '../components/ClusterForm';
import { Crumbs } from '../components/Crumbs';
import { QueryState } from '../components/States';
import {
  emptyForm,
  formFromCluster,
  signOptionDefaults,
  toCreateBody,
  toUpdateBody,
  type ClusterFormValues,
} from '../lib/cluster-form';
import { awaitingQuery } from '../api/console';
import { notify } from '../lib/notices';
import { href, navigate } from '../lib/router';

export function ClusterFormPage({ mode, name }: { mode: 'create' | 'edit'; name?: string }) {
  return mode === 'create' ? <RegisterCluster /> : <EditCluster name={name ?? ''} />;
}

/** `#/clusters/new?from=NAME`: a cluster imported from Screwdriver, awaiting its key, fills the form. */
function importedName(): string | null {
  const query = window.location.hash.split('?')[1] ?? '';
  return new URLSearchParams(query).get('from');
}

function RegisterCluster() {
  const client = useQueryClient();
  const from = importedName();
  const awaiting = useQuery({ ...awaitingQuery(), enabled: from !== null });
  const imported = from ? awaiting.data?.find((a) => a.name === from) : undefined;
  const initial: ClusterFormValues = imported
    ? {
        ...emptyForm(),
        name: imported.name,
        scmOrganization: imported.scmOrganization,
        scmContext: imported.scmContext,
        managedBy: imported.managedBy === 'external' ? 'external' : 'screwdriver',
        isActive: imported.isActive,
        weightage: String(imported.weightage),
        maintainer: imported.maintainer ?? '',
        description: imported.description ?? '',
        ...signOptionDefaults(imported.name),
      }
    : emptyForm();
  return (
    <>
      <Crumbs trail={[['Clusters', href.clusters()]]} current="Register" />
      <h1>Register a build cluster</h1>
      {imported ? (
        <p className="callout" role="status">
          Filled from {imported.name}, imported from {imported.source}: add the public key of its workers to finish.
        </p>
      ) : null}
      <ClusterForm
        key={imported?.name ?? 'new'}
        mode="create"
        initial={initial}
        onCancel={() => navigate(href.clusters())}
        onSubmit={async (values) => {
          const cluster = await createCluster(toCreateBody(values));
          storeCluster(client, cluster);
          notify(`Registered ${cluster.name}. Its workers can poll now.`);
          navigate(href.cluster(cluster.name));
        }}
      />
    </>
  );
}

function EditCluster({ name }: { name: string }) {
  const client = useQueryClient();
  const cluster = useQuery(clusterQuery(name));
  return (
    <>
      <Crumbs
        trail={[
          ['Clusters', href.clusters()],
          [name, href.cluster(name)],
        ]}
        current="Edit"
      />
      <h1>Edit {name}</h1>
      <QueryState query={cluster} what="the cluster" failure={`Could not load ${name}`}>
        {(original) => (
          <ClusterForm
            // A cluster changed elsewhere (socket update) starts a fresh form only if the user reloads the page.
            key={original.name}
            mode="edit"
            original={original}
            initial={formFromCluster(original)}
            onCancel={() => navigate(href.cluster(name))}
            onSubmit={async (values) => {
              const body = toUpdateBody(values, original);
              if (Object.keys(body).length === 0) {
                notify('Nothing changed.', 'info');
                navigate(href.cluster(name));
                return;
              }
              const updated = await updateCluster(name, body);
              storeCluster(client, updated);
              notify(body.publicKey ? `Saved ${name}; the key was rotated.` : `Saved ${name}.`);
              navigate(href.cluster(name));
            }}
          />
        )}
      </QueryState>
    </>
  );
}
