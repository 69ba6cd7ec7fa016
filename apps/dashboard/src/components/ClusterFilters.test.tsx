import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import type { BuildCluster } from '@buildcluster/protocol';
import { ClusterFilters, NO_FILTERS, applyFilters, type Filters } from './ClusterFilters';

function cluster(name: string, extra: Partial<BuildCluster> = {}): BuildCluster {
  return {
    id: 1,
    name,
    scmOrganization: 'acme',
    scmContext: 'github:github.com',
    isActive: true,
    authKeyFileName: `${name}.pem`,
    signOptionFileName: `${name}.json`,
    queue: name,
    managedBy: 'screwdriver',
    weightage: 100,
    description: null,
    maintainer: null,
    provider: null,
    publicKeyFingerprint: 'aa:bb',
    signOption: { issuer: name, subject: name, audience: 'b', expiresIn: 3600, algorithm: 'ES256' },
    previousKey: null,
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
    ...extra,
  };
}

const clusters = [
  cluster('us-west'),
  cluster('gpu', { managedBy: 'external', scmOrganization: 'ml-team', maintainer: 'ml@acme.example' }),
  cluster('legacy', { isActive: false, scmContext: 'gitlab:gitlab.com' }),
];

function Harness() {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const shown = applyFilters(clusters, filters);
  return (
    <>
      <ClusterFilters clusters={clusters} filters={filters} onChange={setFilters} shown={shown.length} />
      <ul aria-label="shown">
        {shown.map((c) => (
          <li key={c.name}>{c.name}</li>
        ))}
      </ul>
    </>
  );
}

const shownNames = () => screen.getAllByRole('listitem').map((li) => li.textContent);

describe('cluster filters', () => {
  it('filter by status, manager, context and free text, and clear', async () => {
    const user = userEvent.setup();
    render(<Harness />);
    expect(shownNames()).toEqual(['us-west', 'gpu', 'legacy']);
    await user.selectOptions(screen.getByLabelText('Status'), 'inactive');
    expect(shownNames()).toEqual(['legacy']);
    await user.selectOptions(screen.getByLabelText('Status'), 'all');
    await user.selectOptions(screen.getByLabelText('Managed by'), 'external');
    expect(shownNames()).toEqual(['gpu']);
    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    await user.selectOptions(screen.getByLabelText('SCM context'), 'gitlab:gitlab.com');
    expect(shownNames()).toEqual(['legacy']);
    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    await user.type(screen.getByLabelText('Search'), 'ML@');
    expect(shownNames()).toEqual(['gpu']);
    expect(screen.getByText(/1 of 3/)).toBeTruthy();
  });
});
