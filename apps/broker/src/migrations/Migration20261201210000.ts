import { Migration } from '@mikro-orm/migrations';

/** Clusters imported from Screwdriver that wait for their public key (console/entities.ts). */
export class Migration20261201210000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "awaitingClusters" ("name" varchar(100) not null, "scmOrganization" varchar(2000) not null, "scmContext" varchar(200) not null, "managedBy" varchar(50) not null, "isActive" boolean not null, "weightage" int not null, "maintainer" text null, "description" text null, "source" varchar(500) not null, "importedBy" varchar(200) not null, "importedAt" timestamptz not null default now(), constraint "awaitingClusters_pkey" primary key ("name"));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "awaitingClusters" cascade;`);
  }
}
