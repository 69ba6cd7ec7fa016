import { writeFileSync } from 'node:fs';
import { test, expect, openCluster, signIn, tile } from './fixtures.js';
import { ecKeyPair, rsaPublicKey, unique } from './support/api.js';

test.describe('cluster registry', () => {
  test('registers a cluster through the form, fixing what the broker rejects', async ({ page, broker }, testInfo) => {
    await signIn(page, broker.adminToken);
    await page.getByRole('link', { name: 'Register cluster' }).click();
    await expect(page.getByRole('heading', { name: 'Register a build cluster' })).toBeVisible();

    const name = unique('form');
    await page.getByLabel(/^Name/).fill(name);
    await page.getByLabel(/^SCM organization/).fill('acme');
    await page.getByLabel('Maintainer email').fill('builds@acme.example');
    // Defaults: keygen's convention, from the name: issuer NAME, subject NAME/worker, 600 s, ES256.
    await expect(page.getByLabel(/^Issuer/)).toHaveValue(name);
    await expect(page.getByLabel(/^Subject/)).toHaveValue(`${name}/worker`);
    await expect(page.getByLabel(/^Audience/)).toHaveValue('buildcluster-broker');
    await expect(page.getByLabel(/^Longest token lifetime/)).toHaveValue('600');
    await expect(page.getByLabel(/^Algorithm/)).toHaveValue('ES256');

    // An RSA key with ES256: the broker refuses, and the form says so at the key.
    const key = page.getByRole('textbox', { name: /^Public key \(PEM\)/ });
    await key.fill(rsaPublicKey());
    await page.getByRole('button', { name: 'Register cluster' }).click();
    await expect(key).toHaveAttribute('aria-invalid', 'true');
    await expect(key).toHaveAccessibleDescription(/publicKey is .*ES256/);
    await expect(key).toBeFocused();

    // The user uploads the right key file instead; the error goes away as they fix it.
    const pemFile = testInfo.outputPath('cluster.pub.pem');
    writeFileSync(pemFile, ecKeyPair().publicKey);
    await page.getByRole('form', { name: 'Register cluster' }).getByLabel('Upload key file…').setInputFiles(pemFile);
    await expect(key).not.toHaveAttribute('aria-invalid', 'true');
    await page.getByRole('button', { name: 'Register cluster' }).click();

    await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: `Registered ${name}` })).toBeVisible();
    await expect(page.getByText('builds@acme.example')).toBeVisible();
    await page.getByRole('link', { name: 'Clusters' }).first().click();
    await expect(page.getByRole('rowheader', { name })).toBeVisible();
  });

  test('deactivates and deletes a cluster, draining its queue first', async ({ page, broker, api }) => {
    const cluster = await api.registerCluster(unique('del'));
    const buildId = await api.schedule(cluster.name);
    await signIn(page, broker.adminToken);
    await openCluster(page, cluster.name);
    await expect(tile(page, 'Queued')).toHaveText('1');

    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: `Delete ${cluster.name}?` });
    await dialog.getByRole('button', { name: 'Delete cluster' }).click();
    await expect(dialog.getByRole('alert')).toContainText(`Not deleted: ${cluster.name} still has work.`);
    await expect(dialog.getByRole('alert')).toContainText('Now 1 queued and 0 in flight. Deactivate it so it gets no new builds');

    await dialog.getByRole('button', { name: 'Deactivate now' }).click();
    await expect(page.getByRole('heading', { level: 1, name: cluster.name })).toContainText('inactive');

    // Its worker drains what was already queued: an inactive cluster's workers may.
    const worker = api.worker(cluster);
    const jobs = await worker.poll();
    expect(jobs.map((j) => j.buildId)).toEqual([buildId]);
    await worker.ack(jobs);
    await expect(dialog.getByRole('alert')).toContainText('Now 0 queued and 0 in flight.');

    await dialog.getByRole('button', { name: 'Try again' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Clusters', exact: true })).toBeVisible();
    await expect(page.getByRole('rowheader', { name: cluster.name })).toHaveCount(0);
    const gone = await api.call('GET', `/v4/buildClusters/${cluster.name}`, broker.adminToken);
    expect(gone.status).toBe(404);
  });

  test('activates a cluster again and rotates its key, showing the grace period', async ({ page, broker, api }) => {
    const cluster = await api.registerCluster(unique('rot'), { isActive: false });
    await signIn(page, broker.adminToken);
    await openCluster(page, cluster.name);
    await page.getByRole('button', { name: 'Activate' }).click();
    await expect(page.getByRole('button', { name: 'Deactivate' })).toBeVisible();

    await page.getByRole('button', { name: 'Rotate key' }).click();
    const dialog = page.getByRole('dialog', { name: `Rotate the key of ${cluster.name}` });
    await dialog.getByRole('textbox', { name: /New public key/ }).fill(ecKeyPair().publicKey);
    await dialog.getByRole('button', { name: 'Rotate key' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByText('Previous key', { exact: true })).toBeVisible();
    await expect(page.getByText(/still accepted until .* \(in (59 min|1 h)/)).toBeVisible();
  });
});
