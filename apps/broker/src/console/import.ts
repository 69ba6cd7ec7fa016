import type { EntityManager } from '@mikro-orm/postgresql';
import type { AwaitingCluster, BuildCluster, ImportCandidate, ImportResult, ScrewdriverCluster } from '@buildcluster/protocol';
import { CLUSTER_NAME_PATTERN } from '@buildcluster/protocol';
import { registrationFields } from '../clusters/records.js';
import { Errors } from '../errors.js';
import { AwaitingClusterSchema, type AwaitingClusterRow } from './entities.js';
import { fromScrewdriverOrganizations, fromScrewdriverWeightage } from './screwdriver-shape.js';

/**
 * Import of build clusters from a Screwdriver API (`GET /v4/buildclusters`, read with an admin's
 * API token): what it lists, compared with the broker's registry, and the missing ones saved as
 * registrations awaiting their key.
 */
const FETCH_TIMEOUT_MS = 10_000;
const MAX_BYTES = 5 * 1024 * 1024;

function text(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** Screwdriver's answer, checked field by field: a foreign API gets no benefit of the doubt. */
export function parseScrewdriverClusters(body: unknown): ScrewdriverCluster[] {
  if (!Array.isArray(body)) throw new Errors.ImportFailed({ kind: 'not-a-list' });
  return body.map((raw, i) => {
    const c = (raw ?? {}) as Record<string, unknown>;
    const name = text(c.name);
    if (!name || !new RegExp(CLUSTER_NAME_PATTERN).test(name)) {
      throw new Errors.ImportFailed({ kind: 'no-name', index: i });
    }
    const scmContext = text(c.scmContext);
    if (!scmContext) throw new Errors.ImportFailed({ kind: 'no-scm-context', name });
    const orgs = Array.isArray(c.scmOrganizations) ? c.scmOrganizations.filter((o): o is string => typeof o === 'string') : [];
    const weightage = typeof c.weightage === 'number' && Number.isFinite(c.weightage) ? c.weightage : 100;
    return {
      name,
      scmContext,
      scmOrganizations: orgs,
      managedByScrewdriver: c.managedByScrewdriver !== false,
      isActive: c.isActive !== false,
      weightage,
      group: text(c.group),
      maintainer: text(c.maintainer),
      description: text(c.description),
    };
  });
}

export async function fetchScrewdriverClusters(apiUrl: string, token: string): Promise<ScrewdriverCluster[]> {
  const url = `${apiUrl.replace(/\/+$/, '')}/v4/buildclusters`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (err) {
    throw new Errors.ImportFailed({ kind: 'unreachable', url, cause: (err as Error).message });
  }
  if (response.status === 401 || response.status === 403) {
    throw new Errors.ImportFailed({ kind: 'refused', url, status: response.status });
  }
  if (!response.ok) throw new Errors.ImportFailed({ kind: 'status', url, status: response.status });
  const body = await response.text();
  if (body.length > MAX_BYTES) throw new Errors.ImportFailed({ kind: 'too-large', url, maxBytes: MAX_BYTES });
  try {
    return parseScrewdriverClusters(JSON.parse(body));
  } catch (err) {
    if (err instanceof SyntaxError) throw new Errors.ImportFailed({ kind: 'not-json', url });
    throw err;
  }
}

/** The broker's fields for a Screwdriver cluster. */
export function mapped(source: ScrewdriverCluster) {
  return {
    scmOrganization: fromScrewdriverOrganizations(source.scmOrganizations),
    managedBy: source.managedByScrewdriver ? ('screwdriver' as const) : ('external' as const),
    weightage: fromScrewdriverWeightage(source.weightage),
  };
}

export function differences(source: ScrewdriverCluster, cluster: BuildCluster): string[] {
  const m = mapped(source);
  const out: string[] = [];
  const cmp = (field: string, theirs: unknown, ours: unknown, shown: unknown = theirs) => {
    if (theirs !== ours) out.push(`${field}: ${JSON.stringify(shown)} in Screwdriver, ${JSON.stringify(ours)} here`);
  };
  cmp('scmContext', source.scmContext, cluster.scmContext);
  // Selection reads the organizations of external clusters only.
  if (m.managedBy === 'external' || cluster.managedBy === 'external') {
    cmp('scmOrganizations', m.scmOrganization, cluster.scmOrganization, source.scmOrganizations);
  }
  cmp('managedBy', m.managedBy, cluster.managedBy);
  cmp('isActive', source.isActive, cluster.isActive);
  cmp('weightage', m.weightage, cluster.weightage, source.weightage);
  if (source.maintainer !== null) cmp('maintainer', source.maintainer, cluster.maintainer);
  return out;
}

export function toAwaiting(row: AwaitingClusterRow): AwaitingCluster {
  return {
    name: row.name,
    ...registrationFields(row),
    source: row.source,
    importedBy: row.importedBy,
    importedAt: row.importedAt.toISOString(),
  };
}

export async function awaitingList(em: EntityManager): Promise<AwaitingCluster[]> {
  return (await em.find(AwaitingClusterSchema, {}, { orderBy: { name: 'asc' } })).map(toAwaiting);
}

export function compare(
  sources: ScrewdriverCluster[],
  registered: BuildCluster[],
  awaiting: AwaitingCluster[],
): ImportCandidate[] {
  return sources.map((source) => {
    const cluster = registered.find((c) => c.name === source.name);
    if (cluster) {
      const diff = differences(source, cluster);
      return { source, status: diff.length > 0 ? 'differs' : 'same', differences: diff };
    }
    if (awaiting.some((a) => a.name === source.name)) return { source, status: 'awaiting-key', differences: [] };
    return { source, status: 'missing', differences: [] };
  });
}

export async function importMissing(
  em: EntityManager,
  apiUrl: string,
  candidates: ImportCandidate[],
  names: string[],
  username: string,
): Promise<ImportResult> {
  const imported: AwaitingCluster[] = [];
  const rows: AwaitingClusterRow[] = [];
  const skipped: ImportResult['skipped'] = [];
  for (const name of names) {
    const candidate = candidates.find((c) => c.source.name === name);
    if (!candidate) {
      skipped.push({ name, reason: 'not listed by the Screwdriver API' });
      continue;
    }
    if (candidate.status !== 'missing') {
      skipped.push({
        name,
        reason: candidate.status === 'awaiting-key' ? 'already imported, awaiting its key' : 'already registered',
      });
      continue;
    }
    const m = mapped(candidate.source);
    const maintainer = candidate.source.maintainer;
    const row: AwaitingClusterRow = {
      name,
      scmOrganization: m.scmOrganization,
      scmContext: candidate.source.scmContext,
      managedBy: m.managedBy,
      isActive: candidate.source.isActive,
      weightage: m.weightage,
      maintainer: maintainer && /^[^@\s]+@[^@\s]+$/.test(maintainer) ? maintainer : null,
      description: candidate.source.description ?? (candidate.source.group ? `group ${candidate.source.group}` : null),
      source: apiUrl,
      importedBy: username,
      importedAt: new Date(),
    };
    rows.push(row);
    imported.push(toAwaiting(row));
  }
  // A native insert, not persist and flush: see db/transaction.ts.
  if (rows.length > 0) await em.insertMany(AwaitingClusterSchema, rows);
  return { imported, skipped };
}
