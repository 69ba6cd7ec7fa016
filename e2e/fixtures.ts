import { mkdirSync } from 'node:fs';
import { test as base, expect, type Locator, type Page } from '@playwright/test';
import { startBroker, type E2EBroker } from './support/broker.js';
import { Api } from './support/api.js';

interface WorkerFixtures {
  /** Extra broker environment for a spec file, e.g. `test.use({ brokerEnv: { LEASE_MS: '1000' } })`. */
  brokerEnv: Record<string, string>;
  broker: E2EBroker;
}

interface TestFixtures {
  api: Api;
}

/** One real broker per Playwright worker (and per distinct brokerEnv), serving the built dashboard. */
export const test = base.extend<TestFixtures, WorkerFixtures>({
  brokerEnv: [{}, { scope: 'worker', option: true }],
  broker: [
    async ({ brokerEnv }, use) => {
      const broker = await startBroker(brokerEnv);
      await use(broker);
      await broker.stop();
    },
    { scope: 'worker', timeout: 90_000 },
  ],
  baseURL: async ({ broker }, use) => use(broker.url),
  api: async ({ broker }, use) => use(new Api(broker)),
});

export { expect };

/** Signs in the way the quick start does: the `/#token=` link. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`/#token=${token}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Clusters', exact: true })).toBeVisible();
}

/** Opens a cluster's page from the overview table. */
export async function openCluster(page: Page, name: string): Promise<void> {
  await page.getByRole('table').getByRole('link', { name, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
}

/** The live indicator says the socket is up. */
export async function expectLive(page: Page): Promise<void> {
  await expect(page.getByRole('status').filter({ hasText: /^Live$/ })).toBeVisible();
}

/** A value tile on the cluster page ("Queued", "In flight", ...). */
export function tile(page: Page, label: string) {
  return page
    .getByLabel('Queue figures')
    .locator('div', { has: page.getByText(label, { exact: true }) })
    .locator('dd');
}

export const SCREENSHOTS = 'test-results/screenshots';

/**
 * Saves the page at 1280×800 and at 390 px wide, under test-results/screenshots/. Whole pages are
 * taken from the top; a modal dialog is taken as the screen shows it (its backdrop covers the viewport).
 */
export async function screenshotBothWidths(
  page: Page,
  name: string,
  options: { modal?: boolean; /** capture the screen around this element instead of the whole page */ around?: Locator } = {},
): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const original = page.viewportSize() ?? { width: 1280, height: 800 };
  for (const [width, height] of [
    [1280, 800],
    [390, 844],
  ] as const) {
    await page.setViewportSize({ width, height });
    const screenOnly = options.modal || options.around !== undefined;
    if (options.around) await options.around.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    else if (!options.modal) await page.evaluate(() => window.scrollTo(0, 0));
    // A whole-page capture stretches the page, so a bar stuck to the screen's bottom would land mid-page.
    const unstick = screenOnly ? null : await page.addStyleTag({ content: '.form-actions { position: static !important; }' });
    await page.screenshot({ path: `${SCREENSHOTS}/${name}-${width}.png`, fullPage: !screenOnly, animations: 'disabled' });
    await unstick?.evaluate((el) => (el as Element).remove());
  }
  await page.setViewportSize(original);
}
