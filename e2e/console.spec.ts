import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { test, expect, expectLive, openCluster, signIn } from './fixtures.js';
import { newBuildId, unique } from './support/api.js';

// One attempt: a nack sends a build straight to the dead letters. Builds link to a Screwdriver UI.
test.use({ brokerEnv: { MAX_ATTEMPTS: '1', SCREWDRIVER_UI_URL: 'https://cd.example.com' } });

/** Screenshots of the console's views, for people to look at (1280 px wide). */
const SCREENS = process.env.CONSOLE_SCREENS_DIR ?? 'test-results/screenshots/console';

async function shot(page: Page, name: string, fullPage = true) {
  mkdirSync(SCREENS, { recursive: true });
  await page.screenshot({ path: `${SCREENS}/${name}.png`, fullPage, animations: 'disabled' });
}

async function expectNoViolations(page: Page, what: string) {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const summary = violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`,
  );
  expect(summary, `${what}:\n${summary.join('\n')}`).toEqual([]);
}

test.describe("the operators' console", () => {
  // Each test runs axe several times and waits on live figures: more than the default 90 s on 2 cores.
  test.describe.configure({ timeout: 240_000 });
  test('wait times, workers and pause/resume on the cluster page', async ({ page, broker, api }) => {
    const cluster = await api.registerCluster(unique('console'), { description: 'console checks' });
    const worker = api.worker(cluster, 'runner-7');
    const first = await api.schedule(cluster.name);
    await page.waitForTimeout(400);
    const [job] = await worker.poll();
    expect(job!.buildId).toBe(first);
    await page.waitForTimeout(300);
    await worker.ack([job!]);
    // one build running now
    await api.schedule(cluster.name);
    const running = await worker.poll();

    await signIn(page, broker.adminToken);
    await expectLive(page);
    // the overview: wait times of every cluster, and the wait column
    const overall = page.getByRole('region', { name: 'Wait times, every cluster' });
    await expect(overall.getByRole('row', { name: /Queue wait/ })).toContainText(/\d+ builds?/);
    await expect(overall.getByRole('figure', { name: /Queue wait of every cluster/ })).toBeVisible();

    await openCluster(page, cluster.name);
    const wait = page.getByRole('region', { name: 'Wait times' });
    await expect(wait.getByRole('row', { name: /Queue wait/ })).toContainText('2 builds');
    await expect(wait.getByRole('row', { name: /Run time/ })).toContainText('1 build');
    const workers = page.getByRole('region', { name: 'Workers (last hour)' });
    const row = workers.getByRole('row', { name: /runner-7/ });
    await expect(row).toContainText('buildcluster-worker/0.1.0 (e2e)');
    await expect(row).toContainText(`build ${running[0]!.buildId}`);
    await expect(row.getByRole('cell').nth(4)).toContainText('1'); // done
    // the watermarks as what they mean, raw ids as detail
    await expect(page.getByLabel('Watermarks')).toContainText('1 build');
    await expect(page.getByLabel('Watermarks')).toContainText(/old/);
    await expectNoViolations(page, 'cluster page with wait times and workers');
    await shot(page, 'cluster-detail-wait-workers');

    // pause with a note: the cluster keeps queuing, shows paused, its worker gets nothing
    await page.getByRole('button', { name: 'Pause dispatch' }).click();
    const dialog = page.getByRole('dialog', { name: `Pause dispatch of ${cluster.name}` });
    await expect(dialog.getByRole('button', { name: 'Pause', exact: true })).toBeDisabled();
    await dialog.getByLabel(/^Note/).fill('node pool upgrade');
    await expectNoViolations(page, 'pause dialog');
    await shot(page, 'pause-dialog', false);
    await dialog.getByRole('button', { name: 'Pause', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Dispatch paused' })).toContainText('node pool upgrade');
    await expect(page.getByRole('heading', { level: 1 })).toContainText('paused');
    const queuedWhilePaused = await api.schedule(cluster.name);
    expect(await worker.poll()).toEqual([]);
    await page.getByText(/^Audit trail/).click();
    await expect(page.getByText('paused (hold) by e2e-admin')).toBeVisible();
    await shot(page, 'cluster-paused');
    await page.getByRole('link', { name: 'Clusters', exact: true }).first().click();
    await expect(page.getByRole('row', { name: new RegExp(cluster.name) })).toContainText('paused');

    await openCluster(page, cluster.name);
    await page.getByRole('button', { name: 'Resume dispatch' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Resume', exact: true }).click();
    await expect(page.getByRole('button', { name: 'Pause dispatch' })).toBeVisible();
    const after = await worker.poll();
    expect(after.map((j) => j.buildId)).toEqual([queuedWhilePaused]);
  });

  test('bulk dead-letter actions and cancel by pipeline show how many builds before they run', async ({ page, broker, api }) => {
    const cluster = await api.registerCluster(unique('bulk'));
    const worker = api.worker(cluster);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push(await api.schedule(cluster.name));
    await worker.nack(await worker.poll(3), 'exit 2');

    await signIn(page, broker.adminToken);
    await openCluster(page, cluster.name);
    const dead = page.getByRole('region', { name: 'Dead letters' });
    await expect(dead.getByRole('row')).toHaveCount(4);
    await dead.getByLabel(`Select build ${ids[0]}`).check();
    await dead.getByRole('button', { name: 'Requeue selected (1)…' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText('This will touch 1 build');
    await expectNoViolations(page, 'bulk requeue preview');
    await shot(page, 'bulk-requeue-preview', false);
    await dialog.getByRole('button', { name: 'Requeue 1 build' }).click();
    await expect(page.getByText(`1 of 1 dead letters requeued on ${cluster.name}`)).toBeVisible();
    await expect(dead.getByRole('row')).toHaveCount(3);

    // purge what died before tomorrow: the other two
    const tomorrow = new Date(Date.now() + 86400_000).toISOString().slice(0, 10);
    await dead.getByLabel('Died before').fill(tomorrow);
    await dead.getByRole('button', { name: 'Purge…' }).click();
    await expect(page.getByRole('dialog')).toContainText('This will touch 2 builds');
    await page.getByRole('dialog').getByRole('button', { name: 'Purge 2 builds' }).click();
    await expect(dead.getByText('No dead builds.')).toBeVisible();

    // cancel every queued build of a pipeline, from the builds page
    const pipelineName = unique('acme/cancel-me');
    const doomed = [
      await api.schedule(cluster.name, newBuildId(), { pipelineId: 901, pipelineName }),
      await api.schedule(cluster.name, newBuildId(), { pipelineId: 901, pipelineName }),
    ];
    await page.goto('/#/builds');
    const cancel = page.getByRole('form', { name: 'Cancel queued builds' });
    await cancel.getByLabel('Pipeline (id or name)').fill(pipelineName);
    await cancel.getByRole('button', { name: 'Preview cancel…' }).click();
    await expect(page.getByRole('dialog', { name: 'Cancel queued builds' })).toContainText(
      `This cancels 2 queued or pending builds: ${[...doomed].reverse().join(', ')}`,
    );
    await expectNoViolations(page, 'cancel preview');
    await shot(page, 'cancel-preview', false);
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel 2 builds' }).click();
    await expect(page.getByText('Cancelled 2 of 2 queued builds')).toBeVisible();
    for (const id of doomed)
      expect((await api.call<{ state: string }>('GET', `/v4/builds/${id}`, broker.adminToken)).body.state).toBe('cancelled');
  });

  test('find a build by pipeline, job and state, with its timeline and Screwdriver link; recent builds survive a reload', async ({
    page,
    broker,
    api,
  }) => {
    const cluster = await api.registerCluster(unique('find'));
    const worker = api.worker(cluster, 'finder-1');
    const pipelineName = unique('acme/searchable');
    const id = await api.schedule(cluster.name, newBuildId(), {
      pipelineId: 902,
      pipelineName,
      jobName: 'publish',
      eventId: 4242,
    });
    const other = await api.schedule(cluster.name, newBuildId(), {
      pipelineId: 902,
      pipelineName,
      jobName: 'test',
      eventId: 4242,
    });
    const jobs = await worker.poll(1);
    await worker.ack(jobs);

    await signIn(page, broker.adminToken);
    await page.goto('/#/builds');
    const search = page.getByRole('search', { name: 'Find builds' });
    await search.getByLabel('Pipeline (id or name)').fill(pipelineName);
    await search.getByRole('button', { name: 'Find builds' }).click();
    const found = page.getByRole('region', { name: 'Find builds' }).getByRole('table');
    await expect(found.getByRole('row')).toHaveCount(3);
    await search.getByLabel('Job (id or name)').fill('publish');
    await search.getByLabel('State').selectOption('acked');
    await search.getByRole('button', { name: 'Find builds' }).click();
    await expect(found.getByRole('row')).toHaveCount(2);
    const row = found.getByRole('row', { name: new RegExp(String(id)) });
    await expect(row).toContainText('acked');
    await expect(row.getByRole('link', { name: 'in Screwdriver ↗' })).toHaveAttribute(
      'href',
      `https://cd.example.com/pipelines/902/builds/${id}`,
    );
    await row.getByText('3 steps').click();
    await expect(row.getByRole('listitem')).toHaveText([/queued/, /delivered to finder-1 \(attempt 1\)\s*lease/, /acked/]);
    await expectNoViolations(page, 'build search with a timeline');
    await shot(page, 'builds-search');

    // recent builds: one row per build, from the broker, so a reload keeps them
    const recent = page.getByRole('region', { name: 'Recent build activity' });
    await expect(recent.getByRole('row', { name: new RegExp(`^${other}`) })).toHaveCount(1);
    await page.reload();
    await expect(recent.getByRole('row', { name: new RegExp(`^${other}`) })).toContainText('queued');
    await expect(recent.getByRole('row', { name: new RegExp(`^${id}`) })).toContainText('acked');
  });

  test('a viewer sees every page and no button that would be refused', async ({ page, broker, api }) => {
    const cluster = await api.registerCluster(unique('viewer'));
    const worker = api.worker(cluster);
    await api.schedule(cluster.name);
    await worker.nack(await worker.poll(), 'exit 1');

    await signIn(page, broker.viewerToken);
    await expect(page.getByText('read-only')).toBeVisible();
    await expect(page.getByRole('link', { name: 'Register cluster' })).toHaveCount(0);
    await expect(page.getByRole('link', { name: 'Import from Screwdriver' })).toHaveCount(0);
    await openCluster(page, cluster.name);
    await expect(page.getByRole('region', { name: 'Dead letters' }).getByRole('row')).toHaveCount(2);
    for (const name of ['Pause dispatch', 'Edit', 'Delete', 'Rotate key', 'Requeue', 'Requeue all…', 'Purge…']) {
      await expect(page.getByRole('button', { name, exact: true })).toHaveCount(0);
    }
    await expect(page.getByRole('link', { name: 'Edit' })).toHaveCount(0);
    await expectNoViolations(page, 'cluster page, read-only');
    await shot(page, 'viewer-cluster');
    // The chart's tooltip, under the pointer, must read as well as the rest of the page.
    const chart = page.getByRole('figure', { name: `Queue activity of ${cluster.name}, last 15 minutes` });
    await expect(chart).toContainText(/samples, one per second/);
    const plot = await chart.locator('.chart__plot').boundingBox();
    if (!plot) throw new Error('the queue chart has no plot');
    await page.mouse.move(plot.x + plot.width * 0.8, plot.y + plot.height / 2);
    const tooltip = chart.locator('.recharts-tooltip-wrapper');
    await expect(tooltip).toBeVisible();
    await expect(tooltip).toContainText('Queued : 0');
    await expect(tooltip).toContainText('In flight : 0');
    await expectNoViolations(page, 'cluster page, the chart tooltip shown');
    await page.goto('/#/builds');
    await expect(page.getByRole('search', { name: 'Find builds' })).toBeVisible();
    await expect(page.getByRole('form', { name: 'Cancel queued builds' })).toHaveCount(0);
  });

  test.describe('import from Screwdriver', () => {
    let server: Server;
    let apiUrl = '';
    test.beforeAll(async () => {
      // Screwdriver's GET /v4/buildclusters, served on loopback with the shape its API answers
      server = createServer((req, res) => {
        if (req.url !== '/v4/buildclusters' || req.headers.authorization !== 'Bearer sd-admin') {
          return res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Unauthorized"}');
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify([
            {
              name: 'sd-shared',
              scmContext: 'github:github.com',
              scmOrganizations: [],
              managedByScrewdriver: true,
              isActive: true,
              weightage: 70.5,
              group: 'default',
              maintainer: 'ops@acme.example',
            },
            {
              name: 'sd-onprem',
              scmContext: 'github:github.com',
              scmOrganizations: ['acme', 'acme-labs'],
              managedByScrewdriver: false,
              isActive: true,
              weightage: 0,
              group: 'dc2',
              maintainer: null,
            },
          ]),
        );
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    test.afterAll(() => new Promise<void>((r) => server.close(() => r())));

    test('lists the clusters of a Screwdriver API and imports the missing ones awaiting a key', async ({ page, broker }) => {
      await signIn(page, broker.adminToken);
      await page.getByRole('link', { name: 'Import from Screwdriver' }).click();
      await page.getByLabel('Screwdriver API URL').fill(apiUrl);
      await page.getByLabel('Admin API token').fill('wrong');
      await page.getByRole('button', { name: 'List clusters' }).click();
      await expect(page.getByRole('alert')).toContainText('refused the token (401)');
      await page.getByLabel('Admin API token').fill('sd-admin');
      await page.getByRole('button', { name: 'List clusters' }).click();
      const table = page.getByRole('table', { name: /Clusters of the Screwdriver API/ });
      await expect(table.getByRole('row', { name: /sd-shared/ })).toContainText('not in the broker');
      await expect(table.getByRole('row', { name: /sd-onprem/ })).toContainText('acme, acme-labs');
      await expectNoViolations(page, 'import preview');
      await shot(page, 'import-preview');
      await table.getByLabel('Import sd-onprem').uncheck();
      await page.getByRole('button', { name: 'Import 1 cluster awaiting a key' }).click();
      await expect(table.getByRole('row', { name: /sd-shared/ })).toContainText('imported, awaiting its key');

      await page.getByRole('link', { name: 'Clusters', exact: true }).first().click();
      const awaiting = page.getByRole('region', { name: /Awaiting a key/ });
      await expect(awaiting.getByRole('row', { name: /sd-shared/ })).toContainText('awaiting key');
      await expectNoViolations(page, 'clusters with one awaiting a key');
      await shot(page, 'clusters-overview-awaiting');
      // Add key… opens the Register form filled from the import
      await awaiting.getByRole('link', { name: 'Add key…' }).click();
      await expect(page.getByLabel(/^Name/)).toHaveValue('sd-shared');
      await expect(page.getByLabel(/^Weightage/)).toHaveValue('71');
      await expect(page.getByLabel(/^Subject/)).toHaveValue('sd-shared/worker');
      await page.getByRole('link', { name: 'Clusters', exact: true }).first().click();
      await awaiting.getByRole('button', { name: 'Forget' }).click();
      await expect(awaiting).toHaveCount(0);
    });
  });
});
