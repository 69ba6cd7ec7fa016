import { test, expect, expectLive, signIn } from './fixtures.js';

test.describe('signing in', () => {
  test('with a pasted admin token, and out again', async ({ page, broker }) => {
    await page.goto('/');
    await expect(page.getByRole('heading', { name: 'Build clusters' })).toBeVisible();
    await page.getByLabel('API token').fill(broker.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Clusters', exact: true })).toBeVisible();
    await expectLive(page);
    await expect(page.getByText('e2e-admin')).toBeVisible();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByLabel('API token')).toBeVisible();
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual([]);
  });

  test('the quick-start link signs in directly and leaves no token in the address bar', async ({ page, broker }) => {
    await signIn(page, broker.adminToken);
    expect(page.url()).not.toContain('token');
    expect(page.url()).toMatch(/#\/$/);
    // A reload keeps the session (sessionStorage) without the link.
    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Clusters', exact: true })).toBeVisible();
  });

  test('explains a token that is not a JWT, lacks the admin scope or has expired', async ({ page, broker }) => {
    await page.goto('/');
    const token = page.getByLabel('API token');
    const signInButton = page.getByRole('button', { name: 'Sign in' });

    await token.fill('not-a-token');
    await signInButton.click();
    await expect(page.getByRole('alert')).toContainText('not a JWT');

    await token.fill(broker.sdapiOnlyToken);
    await signInButton.click();
    await expect(page.getByRole('alert')).toContainText('needs the admin or viewer scope');

    await token.fill(broker.expiredToken);
    await signInButton.click();
    await expect(page.getByRole('alert')).toContainText('expired');
  });

  test('an expired quick-start link lands on the sign-in page with the reason', async ({ page, broker }) => {
    await page.goto(`/#token=${broker.expiredToken}`);
    await expect(page.getByRole('alert')).toContainText('not accepted (expired or not valid for this broker)');
    await expect(page.getByLabel('API token')).toBeVisible();
    expect(page.url()).not.toContain(broker.expiredToken);
  });
});
