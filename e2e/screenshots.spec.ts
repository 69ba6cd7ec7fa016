import { test, expect, openCluster, expectLive, screenshotBothWidths, signIn, tile, SCREENSHOTS } from './fixtures.js';
import { rsaPublicKey, unique } from './support/api.js';

// Short leases and one attempt, so a dead letter appears within seconds.
test.use({ brokerEnv: { LEASE_MS: '3000', MAX_ATTEMPTS: '1' } });

/**
 * Not a behaviour test: it fills a broker with a realistic mix (busy, idle, stranded, inactive,
 * cloud clusters; queued, leased, dead and acked builds) and saves every page at 1280×800 and
 * 390 px into test-results/screenshots/ for people to look at.
 */
test('every page, at desktop and phone width', async ({ page, broker, api }) => {
  test.setTimeout(150_000);
  await page.goto('/');
  await expect(page.getByLabel('API token')).toBeVisible();
  await screenshotBothWidths(page, '01-sign-in');

  const busy = await api.registerCluster(unique('us-west-builds'), {
    description: 'Shared pool, us-west-2 EKS',
    maintainer: 'sd-team@acme.example',
  });
  await api.registerCluster(unique('onprem-gpu'), {
    managedBy: 'external',
    scmOrganization: 'ml-team',
    weightage: 0,
    description: 'GPU racks in DC2',
  });
  await api.registerCluster(unique('aws-east'), {
    provider: { name: 'aws', region: 'us-east-1', accountId: '123456789012' },
    weightage: 40,
  });
  await api.registerCluster(unique('legacy'), { isActive: false, scmContext: 'gitlab:gitlab.com' });
  const stranded = await api.registerCluster(unique('stranded'));
  for (let i = 0; i < 4; i++) await api.schedule(stranded.name);

  // One dead letter on the busy cluster: leased and never acked.
  const worker = api.worker(busy);
  await api.schedule(busy.name);
  await worker.poll();

  await signIn(page, broker.adminToken);
  await expectLive(page);
  await openCluster(page, busy.name);
  await expect(tile(page, 'Dead')).toHaveText('1');

  // Traffic for the chart: builds arrive, a worker takes and acks most of them.
  for (let second = 0; second < 25; second++) {
    for (let i = 0; i < 1 + (second % 4); i++) await api.schedule(busy.name);
    const jobs = await worker.poll(second % 3 === 0 ? 1 : 3);
    if (jobs.length) await worker.ack(jobs);
    await page.waitForTimeout(1000);
  }
  // A build in flight (lease kept long) and a few waiting.
  const held = await worker.poll();
  await worker.extend(held, 600_000);
  for (let i = 0; i < 3; i++) await api.schedule(busy.name);
  await expect(tile(page, 'In flight')).toHaveText('1');
  await screenshotBothWidths(page, '03-cluster-detail');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: `${SCREENSHOTS}/03-cluster-detail-dark-1280.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete cluster' }).click();
  await expect(page.getByRole('dialog').getByRole('alert')).toBeVisible();
  await screenshotBothWidths(page, '06-delete-refused', { modal: true });
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

  await page.getByRole('link', { name: 'Clusters', exact: true }).first().click();
  await expect(page.getByRole('alert').filter({ hasText: 'no worker polled' })).toBeVisible();
  await screenshotBothWidths(page, '02-clusters-overview');

  await page.getByRole('link', { name: 'Register cluster' }).click();
  await page.getByLabel(/^Name/).fill('edge-eu-1');
  await page.getByLabel(/^SCM organization/).fill('acme');
  await page.getByRole('textbox', { name: /^Public key \(PEM\)/ }).fill(rsaPublicKey());
  await page.getByRole('button', { name: 'Register cluster' }).click();
  await expect(page.getByRole('textbox', { name: /^Public key \(PEM\)/ })).toHaveAttribute('aria-invalid', 'true');
  await screenshotBothWidths(page, '04-register-with-error', { around: page.getByText(/^publicKey is /) });
  await screenshotBothWidths(page, '04-register-top');

  await page.goto(`/#/clusters/${busy.name}/edit`);
  await expect(page.getByRole('heading', { name: `Edit ${busy.name}` })).toBeVisible();
  await screenshotBothWidths(page, '05-edit');

  await page.goto(`/#/builds/${held[0]!.buildId}`);
  await expect(page.getByRole('article')).toContainText('leased');
  await screenshotBothWidths(page, '07-builds');
});
