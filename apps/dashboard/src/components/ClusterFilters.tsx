import type { ReactNode } from 'react';
import type { BuildCluster, ManagedBy } from '@buildcluster/protocol';
import { Options } from './Field';

export interface Filters {
  active: 'all' | 'active' | 'inactive';
  managedBy: 'all' | ManagedBy;
  scmContext: string;
  text: string;
}

export const NO_FILTERS: Filters = { active: 'all', managedBy: 'all', scmContext: '', text: '' };

export function applyFilters(clusters: BuildCluster[], f: Filters): BuildCluster[] {
  const needle = f.text.trim().toLowerCase();
  return clusters.filter((c) => {
    if (f.active !== 'all' && c.isActive !== (f.active === 'active')) return false;
    if (f.managedBy !== 'all' && c.managedBy !== f.managedBy) return false;
    if (f.scmContext && c.scmContext !== f.scmContext) return false;
    if (!needle) return true;
    return [
      c.name,
      c.scmOrganization,
      c.scmContext,
      c.queue,
      c.description,
      c.maintainer,
      c.provider?.region,
      c.provider?.accountId,
    ].some((v) => v?.toLowerCase().includes(needle));
  });
}

const STATUSES = [
  ['all', 'All'],
  ['active', 'Active'],
  ['inactive', 'Inactive'],
] as const satisfies ReadonlyArray<readonly [Filters['active'], string]>;
const MANAGERS = [
  ['all', 'All'],
  ['screwdriver', 'Screwdriver'],
  ['external', 'External'],
] as const satisfies ReadonlyArray<readonly [Filters['managedBy'], string]>;

/** One filter: its label above its input; `grow` takes the row's spare width. */
function FilterField({ id, label, grow, children }: { id: string; label: string; grow?: boolean; children: ReactNode }) {
  return (
    <div className={`filters__field${grow ? ' filters__field--grow' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
    </div>
  );
}

interface Props {
  clusters: BuildCluster[];
  filters: Filters;
  onChange: (f: Filters) => void;
  shown: number;
}

export function ClusterFilters({ clusters, filters, onChange, shown }: Props) {
  const contexts = [...new Set(clusters.map((c) => c.scmContext))].sort();
  const set = <K extends keyof Filters>(key: K, value: Filters[K]) => onChange({ ...filters, [key]: value });
  const filtered = JSON.stringify(filters) !== JSON.stringify(NO_FILTERS);
  return (
    <form className="filters" role="search" aria-label="Filter clusters" onSubmit={(e) => e.preventDefault()}>
      <FilterField id="filter-text" label="Search" grow>
        <input
          id="filter-text"
          type="search"
          data-shortcut-search
          placeholder="name, organization, queue, maintainer…"
          value={filters.text}
          onChange={(e) => set('text', e.target.value)}
        />
      </FilterField>
      <FilterField id="filter-active" label="Status">
        <select id="filter-active" value={filters.active} onChange={(e) => set('active', e.target.value as Filters['active'])}>
          <Options values={STATUSES} />
        </select>
      </FilterField>
      <FilterField id="filter-managed" label="Managed by">
        <select
          id="filter-managed"
          value={filters.managedBy}
          onChange={(e) => set('managedBy', e.target.value as Filters['managedBy'])}
        >
          <Options values={MANAGERS} />
        </select>
      </FilterField>
      <FilterField id="filter-context" label="SCM context">
        <select id="filter-context" value={filters.scmContext} onChange={(e) => set('scmContext', e.target.value)}>
          <Options values={[['', 'All'], ...contexts]} />
        </select>
      </FilterField>
      <p className="filters__count muted" aria-live="polite">
        {shown} of {clusters.length}
        {filtered ? (
          <>
            {' · '}
            <button type="button" className="link-button" onClick={() => onChange(NO_FILTERS)}>
              Clear filters
            </button>
          </>
        ) : null}
      </p>
    </form>
  );
}
