import { Migration } from '@mikro-orm/migrations';

/** Periodic builds: the schedules (source of truth) and the outbox of claimed ticks (periodic/entities.ts). */
export class Migration20261202000718 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "periodicSchedules" ("jobId" int not null, "pipelineId" int not null, "scmContext" varchar(200) null, "jobName" varchar(200) not null, "apiUri" varchar(500) not null, "cron" varchar(200) not null, "expression" varchar(200) not null, "nextAt" timestamptz null, "state" varchar(20) not null, "stoppedReason" varchar(500) null, "lastTickAt" timestamptz null, "lastOutcome" varchar(500) null, "createdAt" timestamptz not null default now(), "updatedAt" timestamptz not null default now(), constraint "periodicSchedules_pkey" primary key ("jobId"));`,
    );
    this.addSql(`create index "periodicSchedules_state_nextAt_index" on "periodicSchedules" ("state", "nextAt");`);

    this.addSql(
      `create table "periodicTicks" ("id" bigserial primary key, "jobId" int not null, "dueAt" timestamptz not null, "reason" varchar(20) not null, "attempts" int not null default 0, "notBefore" timestamptz not null, "leaseUntil" timestamptz null, "lastError" varchar(500) null, "createdAt" timestamptz not null default now());`,
    );
    this.addSql(`create index "periodicTicks_notBefore_index" on "periodicTicks" ("notBefore");`);
    this.addSql(`alter table "periodicTicks" add constraint "periodicTicks_jobId_dueAt_unique" unique ("jobId", "dueAt");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "periodicSchedules" cascade;`);

    this.addSql(`drop table if exists "periodicTicks" cascade;`);
  }
}
