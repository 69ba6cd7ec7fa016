import { useState } from 'react';
import type { BuildCluster, QueueStats } from '@buildcluster/protocol';
import { href } from '../lib/router';
import { formatCount, formatDuration } from '../lib/format';
import { isStranded } from '../lib/backlog';
import { ActiveBadge, NoWorkerBadge, PausedBadge, Spaced, StaleBadge } from './Badges';
import { Cell } from './Cells';
import { DataTable } from './DataTable';
import { Empty } from './States';

type SortKey = 'name' | 'depth' | 'inFlight' | 'oldest' | 'dead' | 'workers' | 'weightage';

const SORTERS: Record<SortKey, (c: BuildCluster, q: QueueStats | undefined) => number | string> = {
  name: (c) => c.name.toLowerCase(),
  depth: (_c, q) => q?.depth ?? -1,
  inFlight: (_c, q) => q?.inFlight ?? -1,
  oldest: (_c, q) => q?.oldestQueuedAgeMs ?? -1,
  dead: (_c, q) => q?.dead ?? -1,
  workers: (_c, q) => q?.workersLastMinute ?? -1,
  weightage: (c) => c.weightage,
};

interface Props {
  clusters: BuildCluster[];
  stats: Map<string, QueueStats>;
  total: number;
}

export function ClusterTable({ clusters, stats, total }: Props) {
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: 'name', dir: 1 });
  if (total === 0) {
    return (
      <Empty>
        No build clusters are registered yet. <a href={href.newCluster()}>Register the first one</a>: builds wait as pending until
        a cluster can take them.
      </Empty>
    );
  }
  if (clusters.length === 0) return <Empty>No cluster matches these filters.</Empty>;
  const sorter = SORTERS[sort.key];
  const rows = [...clusters].sort((a, b) => {
    const x = sorter(a, stats.get(a.name));
    const y = sorter(b, stats.get(b.name));
    return (x < y ? -1 : x > y ? 1 : a.name.localeCompare(b.name)) * sort.dir;
  });
  const header = (key: SortKey, label: string, numeric = true, title?: string) => {
    const active = sort.key === key;
    return (
      <th
        scope="col"
        className={numeric ? 'num' : undefined}
        title={title}
        aria-sort={active ? (sort.dir === 1 ? 'ascending' : 'descending') : undefined}
      >
        <button
          type="button"
          className="sort"
          onClick={() => setSort({ key, dir: active ? (sort.dir === 1 ? -1 : 1) : numeric ? -1 : 1 })}
        >
          {label}
          <span aria-hidden="true" className="sort__arrow">
            {active ? (sort.dir === 1 ? '▲' : '▼') : ''}
          </span>
        </button>
      </th>
    );
  };
  return (
    <DataTable
      caption="Build clusters with their live queue figures"
      className="table--cards"
      columns={[
        header('name', 'Name', false),
        'Status',
        header('depth', 'Queued'),
        header('inFlight', 'In flight'),
        header('oldest', 'Oldest', true, 'Age of the oldest queued build'),
        header('dead', 'Dead'),
        header('workers', 'Workers', true, 'Workers that polled in the last minute'),
        { label: 'Wait 1 h', title: 'Queue wait p50 / p95 over the last hour (queued → first delivery)' },
        'Managed by',
        { label: 'SCM', title: 'SCM organization and context' },
        'Provider',
        header('weightage', 'Weight'),
      ]}
    >
      {rows.map((c) => {
        const q = stats.get(c.name);
        const stranded = isStranded(q);
        return (
          <tr key={c.name} className={stranded ? 'row--alert' : c.isActive ? undefined : 'row--muted'}>
            <th scope="row" className="sticky card-title">
              <a href={href.cluster(c.name)}>{c.name}</a>
              {c.description ? <div className="cell-sub">{c.description}</div> : null}
            </th>
            <td className="card-badge">
              <Spaced>
                <ActiveBadge active={c.isActive} />
                {stranded ? <NoWorkerBadge /> : null}
                {q?.paused ? <PausedBadge note={q.paused.note} /> : null}
                {q?.staleWorkers ? <StaleBadge count={q.staleWorkers} /> : null}
              </Spaced>
            </td>
            <Cell num label="Queued">
              {formatCount(q?.depth)}
            </Cell>
            <Cell num label="In flight">
              {formatCount(q?.inFlight)}
            </Cell>
            <Cell num label="Oldest queued">
              {q ? formatDuration(q.oldestQueuedAgeMs) : '—'}
            </Cell>
            <Cell num className={q && q.dead > 0 ? 'text-danger' : undefined} label="Dead">
              {formatCount(q?.dead)}
            </Cell>
            <Cell num label="Workers 1 min">
              {formatCount(q?.workersLastMinute)}
            </Cell>
            <Cell num label="Wait 1 h">
              {q?.waitTimes && q.waitTimes.wait['1h'].count > 0
                ? `${formatDuration(q.waitTimes.wait['1h'].p50Ms)} / ${formatDuration(q.waitTimes.wait['1h'].p95Ms)}`
                : '—'}
            </Cell>
            <Cell label="Managed by">{c.managedBy}</Cell>
            <Cell label="SCM">
              {c.scmOrganization}
              <div className="cell-sub mono">{c.scmContext}</div>
            </Cell>
            <Cell label="Provider">
              {c.provider ? `${c.provider.name} ${c.provider.region}` : <span className="muted">—</span>}
            </Cell>
            <Cell num label="Weight">
              {c.weightage}
            </Cell>
          </tr>
        );
      })}
    </DataTable>
  );
}
