import { ecPair, rsaPair } from '@buildcluster/testkit/keys';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { session } from '../api/session';
import { ClusterFormPage } from '../routes/ClusterFormPage';

const pem = (type: 'ec' | 'rsa') => (type === 'ec' ? ecPair() : rsaPair()).publicKey;

function renderRegister() {
  session.signIn(inject('adminToken'));
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <ClusterFormPage mode="create" />
    </QueryClientProvider>,
  );
  return { user: userEvent.setup(), client };
}

/** The error message announced with an input (its aria-describedby), or null. */
function errorOf(input: HTMLElement): string | null {
  const ids = input.getAttribute('aria-describedby')?.split(' ') ?? [];
  const error = ids.map((id) => document.getElementById(id)).find((el) => el?.classList.contains('field__error'));
  return error?.textContent ?? null;
}

describe('the register form', () => {
  it('starts with the documented defaults and derives the claims from the name', async () => {
    const { user } = renderRegister();
    expect(screen.getByLabelText(/Longest token lifetime/)).toHaveProperty('value', '600');
    expect(screen.getByLabelText(/Algorithm/)).toHaveProperty('value', 'ES256');
    expect(screen.getByLabelText(/Weightage/)).toHaveProperty('value', '100');
    expect(screen.getByLabelText(/Active: gets new builds/)).toHaveProperty('checked', true);
    await user.type(screen.getByLabelText(/^Name/), 'edge-7');
    expect(screen.getByLabelText(/Issuer/)).toHaveProperty('value', 'edge-7');
    expect(screen.getByLabelText(/Subject/)).toHaveProperty('value', 'edge-7/worker');
    expect(screen.getByLabelText(/Audience/)).toHaveProperty('value', 'buildcluster-broker');
    // Once the user edits a claim, renaming no longer overwrites it.
    await user.clear(screen.getByLabelText(/Issuer/));
    await user.type(screen.getByLabelText(/Issuer/), 'my-issuer');
    await user.type(screen.getByLabelText(/^Name/), 'b');
    expect(screen.getByLabelText(/Issuer/)).toHaveProperty('value', 'my-issuer');
  });

  it('shows missing fields at the fields, before calling the broker', async () => {
    const { user } = renderRegister();
    await user.click(screen.getByRole('button', { name: 'Register cluster' }));
    const name = screen.getByLabelText(/^Name/);
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(errorOf(name)).toBe('Name is required');
    expect(errorOf(screen.getByLabelText(/SCM organization/))).toBe('SCM organization is required');
    expect(errorOf(screen.getByLabelText(/Public key \(PEM\)/))).toBe('Public key is required');
    await waitFor(() => expect(document.activeElement).toBe(name));
  });

  it("shows the broker's validation message at the field it names, and registers once fixed", async () => {
    const { user } = renderRegister();
    const name = `form-${Date.now()}`;
    await user.type(screen.getByLabelText(/^Name/), name);
    await user.type(screen.getByLabelText(/SCM organization/), 'acme');
    await user.click(screen.getByLabelText(/Public key \(PEM\)/));
    await user.paste(pem('rsa'));
    await user.click(screen.getByRole('button', { name: 'Register cluster' }));

    // An RSA key with the default ES256: only the broker knows, and says so about publicKey.
    const key = screen.getByLabelText(/Public key \(PEM\)/);
    await waitFor(() => expect(errorOf(key)).toMatch(/^publicKey is .*ES256/));
    expect(key.getAttribute('aria-invalid')).toBe('true');

    // A schema error comes back as a Fastify path, "body/signOption/audience ...".
    await user.selectOptions(screen.getByLabelText(/Algorithm/), 'RS256');
    const audience = screen.getByLabelText(/Audience/);
    await user.clear(audience);
    await user.click(audience);
    await user.paste('a'.repeat(201));
    await user.click(screen.getByRole('button', { name: 'Register cluster' }));
    await waitFor(() => expect(errorOf(audience)).toMatch(/^Must NOT have more than 200 characters/));
    expect(errorOf(key)).toBeNull();

    await user.clear(audience);
    await user.type(audience, 'broker');
    await user.click(screen.getByRole('button', { name: 'Register cluster' }));
    await waitFor(() => expect(window.location.hash).toBe(`#/clusters/${name}`));
  });

  it('rejects a pasted private key without sending it', async () => {
    const { user } = renderRegister();
    const keys = ecPair();
    await user.click(screen.getByLabelText(/Public key \(PEM\)/));
    await user.paste(keys.privateKey);
    await user.click(screen.getByRole('button', { name: 'Register cluster' }));
    expect(errorOf(screen.getByLabelText(/Public key \(PEM\)/))).toMatch(/private key/);
  });

  it('reads the public key from an uploaded file', async () => {
    const { user } = renderRegister();
    const text = pem('ec');
    const form = screen.getByRole('form', { name: 'Register cluster' });
    const upload = within(form).getByLabelText('Upload key file…');
    await user.upload(upload, new File([text], 'edge.pub.pem', { type: 'application/x-pem-file' }));
    await waitFor(() => expect(screen.getByLabelText(/Public key \(PEM\)/)).toHaveProperty('value', text));
    expect(screen.getByText('Read edge.pub.pem')).toBeTruthy();
  });
});
