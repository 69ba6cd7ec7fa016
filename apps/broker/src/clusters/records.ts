import type { EntityManager } from '@mikro-orm/postgresql';
import type { BuildCluster, SignOption } from '@buildcluster/protocol';
import {
  BuildClusterSchema,
  KeyFileSchema,
  KeyRotationSchema,
  type BuildClusterRow,
  type KeyRotationRow,
} from '../db/entities.js';
import type { CacheEntry } from './cache.js';
import { fingerprintOfFileName } from './keys.js';
import type { CachedCluster, ClusterKey } from './types.js';

/** A registry row with what the key store holds for it: the whole truth about one cluster. */
export interface ClusterRecord {
  row: BuildClusterRow;
  signOption: SignOption;
  publicKeyPem: string;
  /** The previous key while a rotation's grace period runs, else null. */
  previous: { fileName: string; pem: string; signOption: SignOption; validUntil: Date } | null;
}

/** Reads rows and their key files; three queries whatever the number of clusters. */
export async function loadRecords(em: EntityManager, rows: BuildClusterRow[], now = Date.now()): Promise<ClusterRecord[]> {
  if (rows.length === 0) return [];
  const rotations = await em.find(KeyRotationSchema, { cluster: { $in: rows.map((r) => r.id) } });
  const live = new Map<number, KeyRotationRow>();
  for (const rotation of rotations) {
    if (rotation.validUntil.getTime() > now) live.set(rotation.cluster.id, rotation);
  }
  const fileNames = new Set<string>();
  for (const row of rows) fileNames.add(row.authKeyFileName).add(row.signOptionFileName);
  for (const r of live.values()) fileNames.add(r.previousAuthKeyFileName).add(r.previousSignOptionFileName);
  const files = await em.find(KeyFileSchema, { name: { $in: [...fileNames] } });
  const content = new Map(files.map((f) => [f.name, f.content]));
  const read = (name: string): string => {
    const text = content.get(name);
    // The foreign keys cannot express "the file exists"; the service always writes both together.
    if (text === undefined) throw new Error(`key store is missing ${name}`);
    return text;
  };
  return rows.map((row) => {
    const rotation = live.get(row.id);
    return {
      row,
      signOption: JSON.parse(read(row.signOptionFileName)) as SignOption,
      publicKeyPem: read(row.authKeyFileName),
      previous: rotation
        ? {
            fileName: rotation.previousAuthKeyFileName,
            pem: read(rotation.previousAuthKeyFileName),
            signOption: JSON.parse(read(rotation.previousSignOptionFileName)) as SignOption,
            validUntil: rotation.validUntil,
          }
        : null,
    };
  });
}

export async function loadAllRecords(em: EntityManager): Promise<ClusterRecord[]> {
  const rows = await em.find(BuildClusterSchema, {}, { orderBy: { name: 'asc' } });
  return loadRecords(em, rows);
}

/** The columns a registered cluster and an imported one awaiting its key both have (what Screwdriver's registry knows). */
interface RegistrationColumns<M extends string> {
  scmOrganization: string;
  scmContext: string;
  isActive: boolean;
  managedBy: M;
  weightage: number;
  description?: string | null;
  maintainer?: string | null;
}

/** Those columns as the API shows them (an unset description or maintainer is null). */
export function registrationFields<M extends string>(row: RegistrationColumns<M>): Required<RegistrationColumns<M>> {
  return {
    scmOrganization: row.scmOrganization,
    scmContext: row.scmContext,
    isActive: row.isActive,
    managedBy: row.managedBy,
    weightage: row.weightage,
    description: row.description ?? null,
    maintainer: row.maintainer ?? null,
  };
}

/** The API view (README "API", the /v4/buildClusters routes): every column, the key's fingerprint, never the key text. */
export function toApiCluster(record: ClusterRecord): BuildCluster {
  const { row } = record;
  return {
    id: row.id,
    name: row.name,
    ...registrationFields(row),
    authKeyFileName: row.authKeyFileName,
    signOptionFileName: row.signOptionFileName,
    queue: row.queue,
    provider: row.provider ?? null,
    publicKeyFingerprint: fingerprintOfFileName(row.authKeyFileName),
    signOption: record.signOption,
    previousKey: record.previous
      ? { fingerprint: fingerprintOfFileName(record.previous.fileName), validUntil: record.previous.validUntil.toISOString() }
      : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * The Redis identity of a cluster's queue: its row id and creation time (`#<id>.<createdAt ms,
 * base 36>`). Both are immutable, and the pair stays unique even if a restored database reuses an
 * id, so a queue belongs to one cluster for its whole life: renaming `queue` moves nothing, two
 * clusters never share a queue, and a name registered again starts with an empty one. `#` is not
 * allowed in a display name, so a key never equals one.
 */
export function queueKeyOf(row: Pick<BuildClusterRow, 'id' | 'createdAt'>): string {
  return `#${row.id}.${row.createdAt.getTime().toString(36)}`;
}

/** What the hot paths need, as the cache holds it. */
export function toCacheEntry(record: ClusterRecord): CacheEntry {
  const { row } = record;
  const keys: ClusterKey[] = [
    { pem: record.publicKeyPem, fingerprint: fingerprintOfFileName(row.authKeyFileName), validUntil: null },
  ];
  if (record.previous) {
    keys.push({
      pem: record.previous.pem,
      fingerprint: fingerprintOfFileName(record.previous.fileName),
      validUntil: record.previous.validUntil.getTime(),
      signOption: record.previous.signOption,
    });
  }
  const cluster: CachedCluster = {
    name: row.name,
    scmOrganization: row.scmOrganization,
    scmContext: row.scmContext,
    isActive: row.isActive,
    queue: row.queue,
    queueKey: queueKeyOf(row),
    managedBy: row.managedBy,
    weightage: row.weightage,
    provider: row.provider ?? null,
    signOption: record.signOption,
    keys,
  };
  return {
    cluster,
    version: row.updatedAt.getTime(),
    authKeyFileName: row.authKeyFileName,
    signOptionFileName: row.signOptionFileName,
  };
}
