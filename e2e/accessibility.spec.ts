import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { test, expect, expectLive, openCluster, signIn, tile } from './fixtures.js';
import { unique } from './support/api.js';

/** WCAG 2.1 A/AA rules of axe-core on what the page shows now; failures list the rule and elements. */
async function expectNoViolations(page: Page, what: string) {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const summary = violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`,
  );
  expect(summary, `${what}:\n${summary.join('\n')}`).toEqual([]);
}

test('every page passes the axe-core WCAG 2.1 AA checks, at both widths and in dark mode', async ({ page, broker, api }) => {
  // Six pages, three ways each, with the console's sections: more than the default 90 s on 2 cores.
  test.setTimeout(300_000);
  const cluster = await api.registerCluster(unique('a11y'), { description: 'for the accessibility checks' });
  await api.schedule(cluster.name);
  for (const [width, colorScheme] of [
    [1280, 'light'],
    [390, 'light'],
    [1280, 'dark'],
  ] as const) {
    await page.emulateMedia({ colorScheme });
    await page.setViewportSize({ width, height: width === 1280 ? 800 : 844 });
    await page.goto('/');
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    await expect(page.getByLabel('API token')).toBeVisible();
    await expectNoViolations(page, `sign-in at ${width} ${colorScheme}`);

    await signIn(page, broker.adminToken);
    await expectLive(page);
    await expect(page.getByRole('alert').filter({ hasText: 'no worker polled' })).toBeVisible();
    await expectNoViolations(page, `clusters at ${width} ${colorScheme}`);

    await openCluster(page, cluster.name);
    await expect(tile(page, 'Queued')).toHaveText('1');
    await expectNoViolations(page, `cluster detail at ${width} ${colorScheme}`);

    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete cluster' }).click();
    await expect(page.getByRole('dialog').getByRole('alert')).toBeVisible();
    await expectNoViolations(page, `delete dialog at ${width} ${colorScheme}`);
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

    await page.goto('/#/clusters/new');
    await page.getByRole('button', { name: 'Register cluster' }).click();
    await expect(page.getByLabel(/^Name/)).toHaveAttribute('aria-invalid', 'true');
    await expectNoViolations(page, `register form with errors at ${width} ${colorScheme}`);

    await page.goto('/#/builds');
    await expect(page.getByRole('heading', { level: 1, name: 'Builds' })).toBeVisible();
    await expectNoViolations(page, `builds at ${width} ${colorScheme}`);
  }
});
