import type { BuildCluster, ManagedBy } from '@buildcluster/protocol';

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
      <div className="filters__field filters__field--grow">
        <label htmlFor="filter-text">Search</label>
        <input
          id="filter-text"
          type="search"
          data-shortcut-search
          placeholder="name, organization, queue, maintainer…"
          value={filters.text}
          onChange={(e) => set('text', e.target.value)}
        />
      </div>
      <div className="filters__field">
        <label htmlFor="filter-active">Status</label>
        <select id="filter-active" value={filters.active} onChange={(e) => set('active', e.target.value as Filters['active'])}>
          <option value="all">All</option>
          <option value="active">Active</option>
          <option value="inactive">Inactive</option>
        </select>
      </div>
      <div className="filters__field">
        <label htmlFor="filter-managed">Managed by</label>
        <select
          id="filter-managed"
          value={filters.managedBy}
          onChange={(e) => set('managedBy', e.target.value as Filters['managedBy'])}
        >
          <option value="all">All</option>
          <option value="screwdriver">Screwdriver</option>
          <option value="external">External</option>
        </select>
      </div>
      <div className="filters__field">
        <label htmlFor="filter-context">SCM context</label>
        <select id="filter-context" value={filters.scmContext} onChange={(e) => set('scmContext', e.target.value)}>
          <option value="">All</option>
          {contexts.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </div>
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
