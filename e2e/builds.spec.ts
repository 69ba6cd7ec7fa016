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
  const pending = page.getByRole('region', { name: 'Pending builds' }).locator('.big-figure');
  await expect(pending).toHaveText(/^\d+ builds? pending$/);
  const before = Number((await pending.textContent())!.split(' ')[0]);

  const buildId = await api.schedulePending(scmContext);
  await expect(pending).toHaveText(`${before + 1} ${before + 1 === 1 ? 'build' : 'builds'} pending`);
  // Listed in the pending table, with why and a link to its lookup.
  const listed = page
    .getByRole('table', { name: /Pending builds, oldest first/ })
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
