import { test, expect, openCluster, signIn, tile } from './fixtures.js';
import { unique } from './support/api.js';

// Leases lapse after a second, and one delivery is all a build gets: the first lapse kills it.
test.use({ brokerEnv: { LEASE_MS: '1000', MAX_ATTEMPTS: '1' } });

test('a build whose lease lapses goes dead, and is requeued from the dashboard', async ({ page, broker, api }) => {
  const cluster = await api.registerCluster(unique('dead'));
  const buildId = await api.schedule(cluster.name);
  const worker = api.worker(cluster);
  expect((await worker.poll()).map((j) => j.buildId)).toEqual([buildId]);
  // ...and the worker never acks.

  await signIn(page, broker.adminToken);
  await openCluster(page, cluster.name);
  const dead = page.getByRole('table', { name: 'Dead letters' });
  await expect(dead.getByRole('rowheader', { name: String(buildId) })).toBeVisible();
  await expect(tile(page, 'Dead')).toHaveText('1');

  await dead.getByRole('button', { name: `Requeue build ${buildId}` }).click();
  await expect(page.getByRole('status').filter({ hasText: `Build ${buildId} is queued again` })).toBeVisible();
  await expect(page.getByText('No dead builds.')).toBeVisible();
  await expect(tile(page, 'Dead')).toHaveText('0');
  await expect(tile(page, 'Queued')).toHaveText('1');
  await expect(
    page.getByRole('table', { name: 'Next queued builds' }).getByRole('rowheader', { name: String(buildId) }),
  ).toBeVisible();

  // The build page tells the same story.
  await page.getByRole('link', { name: 'Builds', exact: true }).click();
  await page.getByLabel('Build id').fill(String(buildId));
  await page.getByRole('button', { name: 'Look up' }).click();
  const build = page.getByRole('article', { name: `Build ${buildId}` });
  await expect(build).toContainText('queued');
  await expect(build).toContainText(cluster.name);
  await expect(build).toContainText(/Position\s*1 in the queue/);
});
