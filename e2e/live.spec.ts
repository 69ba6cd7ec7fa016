import { test, expect, expectLive, signIn, tile } from './fixtures.js';
import { unique } from './support/api.js';

test('queue depth rises live as builds arrive and falls as a worker acks them', async ({ page, broker, api }) => {
  const cluster = await api.registerCluster(unique('live'));
  await signIn(page, broker.adminToken);
  await expectLive(page);
  // Marks this document: if anything reloaded the page, the mark would be gone.
  await page.evaluate(() => ((window as unknown as { e2eMark: number }).e2eMark = 1));

  const row = page.getByRole('row', { name: new RegExp(`^${cluster.name}\\b`) });
  const queuedCell = row.getByRole('cell').nth(1); // Status, then Queued
  await expect(queuedCell).toHaveText('0');

  const builds = [await api.schedule(cluster.name), await api.schedule(cluster.name), await api.schedule(cluster.name)];
  await expect(queuedCell).toHaveText('3');
  // Queued, and no worker has polled: the overview warns.
  await expect(page.getByRole('alert').filter({ hasText: 'no worker polled in the last minute' })).toContainText(cluster.name);

  await row.getByRole('link', { name: cluster.name }).click();
  await expect(tile(page, 'Queued')).toHaveText('3');
  const next = page.getByRole('table', { name: 'Next queued builds' });
  for (const [i, buildId] of builds.entries()) {
    await expect(next.getByRole('row', { name: new RegExp(`^${i + 1} ${buildId}\\b`) })).toBeVisible();
  }

  const worker = api.worker(cluster);
  const leased = await worker.poll(2);
  expect(leased.map((j) => j.buildId)).toEqual(builds.slice(0, 2));
  await expect(tile(page, 'Queued')).toHaveText('1');
  await expect(tile(page, 'In flight')).toHaveText('2');
  await expect(tile(page, 'Workers 1 min')).toHaveText('1');
  const leases = page.getByRole('table', { name: 'In-flight leases' });
  await expect(leases.getByRole('row', { name: new RegExp(`^${builds[0]} start ${cluster.name}-w1 1 in \\d+ s`) })).toBeVisible();

  await worker.ack(leased);
  await worker.ack(await worker.poll());
  await expect(tile(page, 'Queued')).toHaveText('0');
  await expect(tile(page, 'In flight')).toHaveText('0');
  await expect(tile(page, 'Acked total')).toHaveText('3');
  await expect(page.getByText('The queue is empty.')).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { e2eMark?: number }).e2eMark)).toBe(1);
});
