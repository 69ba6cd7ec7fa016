import { Migration } from '@mikro-orm/migrations';

export class Migration20261125191713 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "buildClusters" ("id" serial primary key, "name" varchar(100) not null, "scmOrganization" varchar(200) not null, "scmContext" varchar(200) not null, "isActive" boolean not null, "authKeyFileName" varchar(100) not null, "signOptionFileName" varchar(100) not null, "queue" varchar(100) not null, "managedBy" varchar(50) not null, "weightage" int not null default 100, "description" text null, "maintainer" text null, "provider" jsonb null, "createdAt" timestamptz not null default now(), "updatedAt" timestamptz not null default now());`,
    );
    this.addSql(`alter table "buildClusters" add constraint "buildClusters_name_unique" unique ("name");`);
    this.addSql(`alter table "buildClusters" add constraint "buildClusters_authKeyFileName_unique" unique ("authKeyFileName");`);
    this.addSql(
      `alter table "buildClusters" add constraint "buildClusters_signOptionFileName_unique" unique ("signOptionFileName");`,
    );

    this.addSql(
      `create table "keyFiles" ("name" varchar(100) not null, "content" text not null, "createdAt" timestamptz not null default now(), constraint "keyFiles_pkey" primary key ("name"));`,
    );

    this.addSql(
      `create table "clusterKeyRotations" ("clusterId" int not null, "previousAuthKeyFileName" varchar(100) not null, "previousSignOptionFileName" varchar(100) not null, "validUntil" timestamptz not null, constraint "clusterKeyRotations_pkey" primary key ("clusterId"));`,
    );

    this.addSql(
      `alter table "clusterKeyRotations" add constraint "clusterKeyRotations_clusterId_foreign" foreign key ("clusterId") references "buildClusters" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "clusterKeyRotations" drop constraint "clusterKeyRotations_clusterId_foreign";`);

    this.addSql(`drop table if exists "buildClusters" cascade;`);

    this.addSql(`drop table if exists "keyFiles" cascade;`);

    this.addSql(`drop table if exists "clusterKeyRotations" cascade;`);
  }
}
