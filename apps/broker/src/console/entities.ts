import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { insertedAt } from '../db/columns.js';

/**
 * Table `awaitingClusters`: clusters imported from a Screwdriver API that wait for their public key.
 * They live apart from `buildClusters` (whose key columns are required), so a cluster without a
 * key can never be selected; registering the name with its key ends the wait.
 */
export const AwaitingClusterSchema = defineEntity({
  name: 'AwaitingCluster',
  tableName: 'awaitingClusters',
  properties: {
    name: p.string().length(100).primary(),
    scmOrganization: p.string().length(2000),
    scmContext: p.string().length(200),
    managedBy: p.string().length(50),
    isActive: p.boolean(),
    weightage: p.integer(),
    maintainer: p.text().nullable(),
    description: p.text().nullable(),
    source: p.string().length(500),
    importedBy: p.string().length(200),
    importedAt: insertedAt(),
  },
});
export type AwaitingClusterRow = InferEntity<typeof AwaitingClusterSchema>;
