import { useQuery, useQueryClient } from '@tanstack/react-query';
import { clusterQuery, createCluster, storeCluster, updateCluster } from '../api/clusters';
import { ClusterForm } from '../components/ClusterForm';
import { ErrorNotice, Loading } from '../components/States';
import { emptyForm, formFromCluster, toCreateBody, toUpdateBody } from '../lib/cluster-form';
import { notify } from '../lib/notices';
import { href, navigate } from '../lib/router';

export function ClusterFormPage({ mode, name }: { mode: 'create' | 'edit'; name?: string }) {
  return mode === 'create' ? <RegisterCluster /> : <EditCluster name={name ?? ''} />;
}

function RegisterCluster() {
  const client = useQueryClient();
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <a href={href.clusters()}>Clusters</a> / <span aria-current="page">Register</span>
      </nav>
      <h1>Register a build cluster</h1>
      <ClusterForm
        mode="create"
        initial={emptyForm()}
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
      <nav className="crumbs" aria-label="Breadcrumb">
        <a href={href.clusters()}>Clusters</a> / <a href={href.cluster(name)}>{name}</a> / <span aria-current="page">Edit</span>
      </nav>
      <h1>Edit {name}</h1>
      {cluster.isPending ? (
        <Loading what="the cluster" />
      ) : cluster.error ? (
        <ErrorNotice error={cluster.error} title={`Could not load ${name}`} />
      ) : (
        <ClusterForm
          // A cluster changed elsewhere (socket update) starts a fresh form only if the user reloads the page.
          key={cluster.data.name}
          mode="edit"
          original={cluster.data}
          initial={formFromCluster(cluster.data)}
          onCancel={() => navigate(href.cluster(name))}
          onSubmit={async (values) => {
            const body = toUpdateBody(values, cluster.data);
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
    </>
  );
}
