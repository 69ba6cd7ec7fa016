import AxeBuilder from '@axe-core/playwright';
import { test, expect, expectLive, signIn } from './fixtures.js';
import { unique } from './support/api.js';

test('a pending build is counted, listed with why, and assigned once an eligible cluster appears', async ({
  page,
  broker,
  api,
}) => {
  const scmContext = `gitlab:${unique('nowhere')}.example`;
  await signIn(page, broker.adminToken);
  await expectLive(page);
  await page.getByRole('link', { name: 'Builds', exact: true }).click();
  const pending = page
    .getByRole('region', { name: 'Pending and blocked builds' })
    .locator('.big-figure')
    .filter({ hasText: 'pending' });
  await expect(pending).toHaveText(/^\d+ builds? pending$/);
  const before = Number((await pending.textContent())!.split(' ')[0]);

  const buildId = await api.schedulePending(scmContext);
  await expect(pending).toHaveText(`${before + 1} ${before + 1 === 1 ? 'build' : 'builds'} pending`);
  // Listed in the pending table, with why and a link to its lookup.
  const listed = page
    .getByRole('table', { name: /Waiting builds, oldest first/ })
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: String(buildId) }) });
  await expect(listed).toContainText(
    `no active screwdriver-managed cluster with weightage > 0 serves scmContext "${scmContext}"`,
  );
  await expect(listed).toContainText('acme/app');
  await expect(listed.getByRole('link', { name: String(buildId) })).toHaveAttribute('href', `#/builds/${buildId}`);

  await page.getByLabel('Build id').fill(String(buildId));
  await page.getByRole('button', { name: 'Look up' }).click();
  const build = page.getByRole('article', { name: `Build ${buildId}` });
  await expect(build).toContainText('pending');
  await expect(build.getByText('Why pending')).toBeVisible();
  // The latest builds list it, one row, from the broker.
  await expect(
    page.getByRole('table', { name: /The latest builds/ }).getByRole('rowheader', { name: String(buildId) }),
  ).toBeVisible();

  const cluster = await api.registerCluster(unique('late'), { scmContext });
  await expect(build).toContainText('queued', { timeout: 20_000 });
  await expect(build.getByRole('link', { name: cluster.name })).toBeVisible();
  await expect(build).toContainText(/Position\s*1 in the queue/);
  await expect(pending).toHaveText(`${before} ${before === 1 ? 'build' : 'builds'} pending`);
  await expect(listed).toHaveCount(0);
});

test('a blocked build is listed with the build and job that block it, shown on its lookup, and released by the stop', async ({
  page,
  broker,
  api,
}) => {
  const cluster = await api.registerCluster(unique('rules'));
  const job = 40_000 + (Date.now() % 10_000);
  // Two start messages of one job with blockedBy; the first runs (acked by the cluster's worker).
  const blocker = await api.scheduleBlockedBy(cluster.name, job, [job]);
  expect(blocker.state).toBe('queued');
  const worker = api.worker(cluster);
  await worker.ack(await worker.poll(10));
  const held = await api.scheduleBlockedBy(cluster.name, job, [job]);
  expect(held.state).toBe('blocked');

  await signIn(page, broker.adminToken);
  await page.getByRole('link', { name: 'Builds', exact: true }).click();
  const region = page.getByRole('region', { name: 'Pending and blocked builds' });
  await expect(region.locator('.big-figure').filter({ hasText: 'blocked' })).toHaveText(/^[1-9]\d* blocked/);
  const row = region
    .getByRole('table', { name: /Waiting builds, oldest first/ })
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: String(held.buildId) }) });
  await expect(row).toContainText('blocked');
  await expect(row).toContainText(`blocked by running build ${blocker.buildId} (job ${job})`);
  await expect(row.getByRole('link', { name: `build ${blocker.buildId}` })).toHaveAttribute(
    'href',
    `#/builds/${blocker.buildId}`,
  );

  await row.getByRole('link', { name: String(held.buildId) }).click();
  const build = page.getByRole('article', { name: `Build ${held.buildId}` });
  await expect(build).toContainText('blocked');
  await expect(build.getByText('Blocked by')).toBeVisible();
  await expect(build.getByRole('link', { name: `build ${blocker.buildId}` })).toBeVisible();
  // The blocker links sit in running text: WCAG wants them told apart by more than colour.
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);

  // The blocker ends in Screwdriver: its stop lets the held build go to the cluster's queue.
  await api.stop(blocker.buildId, job);
  await expect(build).toContainText('queued', { timeout: 20_000 });
  await expect(build.getByRole('link', { name: cluster.name })).toBeVisible();
  await expect(row).toHaveCount(0, { timeout: 20_000 });
  // The cluster gets the blocker's stop message and the held build's start.
  expect((await worker.poll(10)).map((j) => j.buildId)).toEqual([blocker.buildId, held.buildId]);
});

test('keyboard shortcuts move between pages and focus the search', async ({ page, broker }) => {
  await signIn(page, broker.adminToken);
  await page.keyboard.press('/');
  await expect(page.getByLabel('Search')).toBeFocused();
  await page.keyboard.type('b');
  await expect(page.getByLabel('Search')).toHaveValue('b');
  await page.getByLabel('Search').blur();
  await page.keyboard.press('b');
  await expect(page.getByRole('heading', { level: 1, name: 'Builds' })).toBeVisible();
  await page.keyboard.press('n');
  await expect(page.getByRole('heading', { level: 1, name: 'Register a build cluster' })).toBeVisible();
  await expect(page.getByLabel(/^Name/)).toBeFocused();
  await page.getByLabel(/^Name/).blur();
  await page.keyboard.press('c');
  await expect(page.getByRole('heading', { level: 1, name: 'Clusters', exact: true })).toBeVisible();
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();
});
