import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { ManagedBy, Provider } from '@buildcluster/protocol';
import { AwaitingClusterSchema } from '../console/entities.js';
import { periodicEntities } from '../periodic/entities.js';
import { insertedAt, timestamps } from './columns.js';

/**
 * Table `buildClusters`: the seed's columns plus the extras of README "API" (a cluster as the API shows it), named in camelCase as the
 * seed spells them (the ORM keeps property names as column names, see orm-options.ts).
 */
export const BuildClusterSchema = defineEntity({
  name: 'BuildCluster',
  tableName: 'buildClusters',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(100).unique('buildClusters_name_unique'),
    scmOrganization: p.string().length(200),
    scmContext: p.string().length(200),
    isActive: p.boolean(),
    authKeyFileName: p.string().length(100).unique('buildClusters_authKeyFileName_unique'),
    signOptionFileName: p.string().length(100).unique('buildClusters_signOptionFileName_unique'),
    queue: p.string().length(100),
    managedBy: p.string().$type<ManagedBy>().length(50),
    weightage: p.integer().default(100),
    description: p.text().nullable(),
    maintainer: p.text().nullable(),
    provider: p.json<Provider>().nullable(),
    ...timestamps(),
  },
});
export type BuildClusterRow = InferEntity<typeof BuildClusterSchema>;

/**
 * The key store every replica sees: public keys and signOptions under their content-addressed
 * file names (`buildClusters.authKeyFileName`, `.signOptionFileName`).
 */
export const KeyFileSchema = defineEntity({
  name: 'KeyFile',
  tableName: 'keyFiles',
  properties: {
    name: p.string().length(100).primary(),
    content: p.text(),
    createdAt: insertedAt(),
  },
});
export type KeyFileRow = InferEntity<typeof KeyFileSchema>;

/**
 * A key rotation in progress: the cluster's previous key (and the signOption it was used with)
 * stays valid until `validUntil`. One row per cluster at most; removed with the cluster.
 */
export const KeyRotationSchema = defineEntity({
  name: 'KeyRotation',
  tableName: 'clusterKeyRotations',
  properties: {
    cluster: p.oneToOne(BuildClusterSchema).primary().fieldName('clusterId').deleteRule('cascade').ref(false),
    previousAuthKeyFileName: p.string().length(100),
    previousSignOptionFileName: p.string().length(100),
    validUntil: p.datetime(),
  },
});
export type KeyRotationRow = InferEntity<typeof KeyRotationSchema>;

export const entities = [BuildClusterSchema, KeyFileSchema, KeyRotationSchema, AwaitingClusterSchema, ...periodicEntities];
