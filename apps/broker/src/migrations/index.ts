import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125191713 } from './Migration20261125191713.js';
import { Migration20261201210000 } from './Migration20261201210000.js';
import { Migration20261202000718 } from './Migration20261202000718.js';

/**
 * Every committed migration, in order. Generate the next one with
 * `npx tsx src/db/create-migration.ts <postgres admin URL>` and append it here.
 */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261125191713', class: Migration20261125191713 },
  { name: 'Migration20261201210000', class: Migration20261201210000 },
  { name: 'Migration20261202000718', class: Migration20261202000718 },
];
