import { useEffect } from 'react';
import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { consumeTokenFromUrl, sessionStore } from './api/session';
import { LiveProvider } from './api/live';
import { useStore } from './lib/store';
import { parseRoute, useHash, type Route } from './lib/router';
import { Layout } from './components/Layout';
import { SignInPage } from './routes/SignInPage';
import { ClustersPage } from './routes/ClustersPage';
import { ClusterDetailPage } from './routes/ClusterDetailPage';
import { ClusterFormPage } from './routes/ClusterFormPage';
import { BuildsPage } from './routes/BuildsPage';
import { ImportPage } from './routes/ImportPage';

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'clusters':
      return <ClustersPage />;
    case 'cluster-new':
      return <ClusterFormPage mode="create" />;
    case 'cluster':
      return <ClusterDetailPage name={route.cluster} />;
    case 'cluster-edit':
      return <ClusterFormPage mode="edit" name={route.cluster} />;
    case 'builds':
      return <BuildsPage buildId={route.buildId} />;
    case 'import':
      return <ImportPage />;
    case 'not-found':
      return (
        <section>
          <h1>Not found</h1>
          <p>
            Nothing lives at <code>#{route.path}</code>. <a href="#/clusters">Back to the clusters</a>.
          </p>
        </section>
      );
  }
}

const TITLES: Record<Route['page'], string> = {
  clusters: 'Clusters',
  'cluster-new': 'Register a cluster',
  cluster: 'Cluster',
  'cluster-edit': 'Edit cluster',
  builds: 'Builds',
  import: 'Import from Screwdriver',
  'not-found': 'Not found',
};

export function App({ client }: { client: QueryClient }) {
  const { token } = useStore(sessionStore);
  const hash = useHash();
  // A quick-start link opened in a tab that already shows the dashboard only changes the hash.
  useEffect(() => {
    if (hash.startsWith('#token=')) consumeTokenFromUrl();
  }, [hash]);
  const route = parseRoute(hash);
  useEffect(() => {
    const detail = 'cluster' in route ? ` ${route.cluster}` : '';
    document.title = `${token ? TITLES[route.page] : 'Sign in'}${detail} · Build clusters`;
  }, [route, token]);
  // Nothing cached under one token may show under the next.
  useEffect(() => {
    if (!token) client.clear();
  }, [token, client]);
  return (
    <QueryClientProvider client={client}>
      {token ? (
        <LiveProvider token={token}>
          <Layout route={route}>
            <Page route={route} />
          </Layout>
        </LiveProvider>
      ) : (
        <SignInPage />
      )}
    </QueryClientProvider>
  );
}
