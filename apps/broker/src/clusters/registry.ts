import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import type {
  BuildCluster,
  ClusterEvent,
  CreateClusterBody,
  ListClustersQuery,
  SignOption,
  UpdateClusterBody,
} from '@buildcluster/protocol';
import { BuildClusterSchema, KeyRotationSchema, type BuildClusterRow } from '../db/entities.js';
import { inTransaction } from '../db/transaction.js';
import { Errors } from '../errors.js';
import type { Bus } from '../plugins/app/bus.js';
import type { ClusterHooks } from '../plugins/app/cluster-hooks.js';
import type { ClusterCache } from './cache.js';
import type { LocalClusterDirectory } from './directory.js';
import { dropUnusedKeyFiles, putKeyFiles } from './key-store.js';
import { canonicalSignOption, parsePublicKey, signOptionFileName, type ParsedPublicKey } from './keys.js';
import { loadRecords, queueKeyOf, toApiCluster, toCacheEntry, type ClusterRecord } from './records.js';
import type { CacheSync } from './sync.js';

type Action = ClusterEvent['action'];

/** How long a delete waits for a row another write holds (see STALE_RETIRE_MS of the queues: 60 s). */
const DELETE_LOCK_TIMEOUT_S = 10;

export interface RegistryDeps {
  cache: ClusterCache;
  directory: LocalClusterDirectory;
  sync: CacheSync;
  bus: Bus;
  hooks: ClusterHooks;
  log: FastifyBaseLogger;
  keyRotationGraceSeconds: number;
}

/**
 * The cluster registry (README "API", the /v4/buildClusters routes): PostgreSQL is the truth; after each commit the Redis cache and
 * every replica's copy are updated, the write is audited and announced on the bus.
 */
export class ClusterRegistry {
  constructor(private readonly deps: RegistryDeps) {}

  async list(em: EntityManager, query: ListClustersQuery): Promise<BuildCluster[]> {
    const where: Partial<Pick<BuildClusterRow, 'isActive' | 'managedBy' | 'scmContext'>> = {};
    if (query.isActive !== undefined) where.isActive = query.isActive;
    if (query.managedBy !== undefined) where.managedBy = query.managedBy;
    if (query.scmContext !== undefined) where.scmContext = query.scmContext;
    const rows = await em.find(BuildClusterSchema, where, { orderBy: { name: 'asc' } });
    return (await loadRecords(em, rows)).map(toApiCluster);
  }

  async get(em: EntityManager, name: string): Promise<BuildCluster> {
    const row = await em.findOne(BuildClusterSchema, { name });
    if (!row) throw new Errors.ClusterNotFound({ cluster: name });
    const [record] = await loadRecords(em, [row]);
    return toApiCluster(record!);
  }

  async create(em: EntityManager, body: CreateClusterBody, username: string): Promise<BuildCluster> {
    const key = parsePublicKey(body.publicKey, body.signOption.algorithm);
    const optionFile = signOptionFileName(body.name, body.signOption);
    const record = await this.write(em, async (tx) => {
      if ((await tx.count(BuildClusterSchema, { name: body.name })) > 0) {
        throw new Errors.ClusterExists({ cluster: body.name });
      }
      await this.assertKeyUnused(tx, key, null);
      await putKeyFiles(tx, [
        { name: key.fileName, content: key.pem },
        { name: optionFile, content: canonicalSignOption(body.signOption) },
      ]);
      const now = new Date();
      const id = await tx.insert(BuildClusterSchema, {
        name: body.name,
        scmOrganization: body.scmOrganization,
        scmContext: body.scmContext,
        isActive: body.isActive ?? true,
        authKeyFileName: key.fileName,
        signOptionFileName: optionFile,
        queue: body.queue ?? body.name,
        managedBy: body.managedBy,
        weightage: body.weightage ?? 100,
        description: body.description ?? null,
        maintainer: body.maintainer ?? null,
        provider: body.provider ?? null,
        createdAt: now,
        updatedAt: now,
      });
      return tx.findOneOrFail(BuildClusterSchema, { id });
    });
    return this.announce('created', record, username);
  }

  async update(em: EntityManager, name: string, body: UpdateClusterBody, username: string): Promise<BuildCluster> {
    const record = await this.write(em, async (tx) => {
      const row = await tx.findOne(BuildClusterSchema, { name }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!row) throw new Errors.ClusterNotFound({ cluster: name });
      const [current] = await loadRecords(tx, [row]);
      const signOption: SignOption = body.signOption ?? current!.signOption;
      const replaced: string[] = [];
      if (body.publicKey !== undefined) {
        const key = parsePublicKey(body.publicKey, signOption.algorithm);
        if (key.fileName !== row.authKeyFileName) {
          await this.assertKeyUnused(tx, key, row.id);
          await this.rotate(tx, row, replaced);
          await putKeyFiles(tx, [{ name: key.fileName, content: key.pem }]);
          row.authKeyFileName = key.fileName;
        }
      } else if (body.signOption && body.signOption.algorithm !== current!.signOption.algorithm) {
        // The registered key must still fit the new algorithm; the message names both fields.
        try {
          parsePublicKey(current!.publicKeyPem, signOption.algorithm);
        } catch (err) {
          throw new Errors.AlgorithmDoesNotFitKey({ algorithm: signOption.algorithm, problem: (err as Error).message });
        }
      }
      const optionFile = signOptionFileName(name, signOption);
      if (optionFile !== row.signOptionFileName) {
        await putKeyFiles(tx, [{ name: optionFile, content: canonicalSignOption(signOption) }]);
        replaced.push(row.signOptionFileName);
        row.signOptionFileName = optionFile;
      }
      const { publicKey: _key, signOption: _option, ...fields } = body;
      const changes = {
        ...fields,
        authKeyFileName: row.authKeyFileName,
        signOptionFileName: row.signOptionFileName,
        updatedAt: new Date(Math.max(Date.now(), row.updatedAt.getTime() + 1)),
      };
      await tx.nativeUpdate(BuildClusterSchema, { id: row.id }, changes);
      // The row as committed, for the answer and the cache (a native update leaves the loaded copy as it was).
      Object.assign(row, changes);
      await dropUnusedKeyFiles(tx, replaced);
      return row;
    });
    return this.announce('updated', record, username);
  }

  /**
   * Deletes a cluster: its queue is retired first (409 while it holds queued, leased or dead
   * builds; from then on no build can enter it on any replica), then the row goes, then the mark
   * is sealed. A name PostgreSQL no longer has but the cache still does (a broker died between
   * the commit and the cache removal) is cleaned up, and answers as deleted.
   */
  async delete(em: EntityManager, name: string, username: string): Promise<void> {
    const existing = await em.findOne(BuildClusterSchema, { name });
    if (!existing) {
      if (await this.forgetOrphan(name, username)) return;
      throw new Errors.ClusterNotFound({ cluster: name });
    }
    for (const guard of this.deps.hooks.beforeDelete) await guard(name, existing.queue);
    const queues = this.deps.hooks.queues;
    const queueKey = queueKeyOf(existing);
    const token = queues ? await queues.retire(name, queueKey) : null;
    try {
      await inTransaction(em, async (tx) => {
        // Well under the age at which another replica lifts a mark as left by a dead broker.
        await tx.execute(`set local lock_timeout = '${DELETE_LOCK_TIMEOUT_S}s'`);
        const row = await tx.findOne(BuildClusterSchema, { name }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!row || row.id !== existing.id) throw new Errors.ClusterNotFound({ cluster: name });
        const rotation = await tx.findOne(KeyRotationSchema, { cluster: row.id });
        const files = [row.authKeyFileName, row.signOptionFileName];
        if (rotation) files.push(rotation.previousAuthKeyFileName, rotation.previousSignOptionFileName);
        // The rotation row goes with the cluster (on delete cascade).
        await tx.nativeDelete(BuildClusterSchema, { id: row.id });
        await dropUnusedKeyFiles(tx, files);
      });
    } catch (err) {
      if (queues && token) await queues.lift(queueKey, token).catch(() => {});
      throw err;
    }
    // Unsealed (Redis away), the mark still refuses builds: only marks of live clusters are lifted.
    await queues
      ?.seal(queueKey)
      .catch((err: Error) => this.deps.log.warn({ err: err.message, cluster: name }, 'queue seal failed'));
    await this.afterCommit('deleted', name, null, username, () => this.deps.cache.remove(name));
    this.deps.directory.delete(name);
  }

  /** Completes the delete of a cluster PostgreSQL no longer has but the cache does; true when there was one. */
  async forgetOrphan(name: string, username: string): Promise<boolean> {
    const cached = await this.deps.cache.read(name);
    if (!cached) return false;
    await this.deps.hooks.queues?.seal(cached.queueKey);
    this.deps.log.warn({ cluster: name }, 'cluster was deleted from PostgreSQL but still cached: removing it from the cache');
    await this.afterCommit('deleted', name, null, username, () => this.deps.cache.remove(name));
    this.deps.directory.delete(name);
    return true;
  }

  /** Starts a rotation: the current key (with the signOption it is used with) stays valid for the grace period. */
  private async rotate(tx: EntityManager, row: BuildClusterRow, replaced: string[]): Promise<void> {
    const existing = await tx.findOne(KeyRotationSchema, { cluster: row.id });
    if (existing) {
      // One previous key at a time: a second rotation within the grace drops the oldest key.
      replaced.push(existing.previousAuthKeyFileName, existing.previousSignOptionFileName);
      await tx.nativeDelete(KeyRotationSchema, { cluster: row.id });
    }
    const graceMs = this.deps.keyRotationGraceSeconds * 1000;
    if (graceMs > 0) {
      await tx.insert(KeyRotationSchema, {
        cluster: row.id,
        previousAuthKeyFileName: row.authKeyFileName,
        previousSignOptionFileName: row.signOptionFileName,
        validUntil: new Date(Date.now() + graceMs),
      });
    } else {
      replaced.push(row.authKeyFileName);
    }
  }

  /** Each key authenticates one cluster only: otherwise one cluster's owner could sign for another. */
  private async assertKeyUnused(tx: EntityManager, key: ParsedPublicKey, ownId: number | null): Promise<void> {
    const other = await tx.findOne(BuildClusterSchema, { authKeyFileName: key.fileName });
    if (other && other.id !== ownId) {
      throw new Errors.PublicKeyTaken({ owner: other.name });
    }
  }

  /** Runs a write transaction and reads back the committed cluster with its key files. */
  private async write(em: EntityManager, fn: (tx: EntityManager) => Promise<BuildClusterRow>): Promise<ClusterRecord> {
    try {
      return await inTransaction(em, async (tx) => {
        const row = await fn(tx);
        const [record] = await loadRecords(tx, [row]);
        return record!;
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) {
        // Two registrations racing past the checks above: the database's unique constraints decide.
        throw /authKeyFileName/.test(err.message) ? new Errors.PublicKeyTaken({ owner: null }) : new Errors.ClusterExistsRace();
      }
      throw err;
    }
  }

  private async announce(action: Action, record: ClusterRecord, username: string): Promise<BuildCluster> {
    const cluster = toApiCluster(record);
    const entry = toCacheEntry(record);
    this.deps.directory.set(entry.cluster);
    await this.afterCommit(action, cluster.name, cluster, username, () => this.deps.cache.put(entry));
    return cluster;
  }

  /**
   * After a commit: update the cache, tell every replica, audit, publish the event. A cache write
   * that fails (Redis away) does not undo the committed change: the next check rebuilds from PostgreSQL.
   */
  private async afterCommit(
    action: Action,
    name: string,
    cluster: BuildCluster | null,
    username: string,
    writeCache: () => Promise<number>,
  ): Promise<void> {
    const { log, sync, bus } = this.deps;
    log.info({ audit: true, action, cluster: name, username }, `cluster ${name} ${action} by ${username}`);
    try {
      const generation = await writeCache();
      await sync.announce({ name, generation });
    } catch (err) {
      sync.markDirty();
      log.error(
        { err: (err as Error).message, cluster: name },
        'cluster cache update failed; it will be rebuilt from PostgreSQL',
      );
    }
    bus.publish({ type: 'cluster', action, name, cluster, at: new Date().toISOString() });
  }
}
