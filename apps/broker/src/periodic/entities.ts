import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { insertedAt, timestamps } from '../db/columns.js';

export const SCHEDULE_STATES = ['active', 'stopped'] as const;
export type ScheduleState = (typeof SCHEDULE_STATES)[number];

/**
 * Table `periodicSchedules`: one row per Screwdriver job with `screwdriver.cd/buildPeriodically`,
 * written by `POST/DELETE /v1/queue/message?type=periodic`. PostgreSQL is the only copy, so a
 * restart or a Redis flush loses no schedule. `nextAt` is the tick the ticker claims next; a
 * stopped row keeps why and when, and never ticks.
 */
export const PeriodicScheduleSchema = defineEntity({
  name: 'PeriodicSchedule',
  tableName: 'periodicSchedules',
  indexes: [{ name: 'periodicSchedules_state_nextAt_index', properties: ['state', 'nextAt'] }],
  properties: {
    jobId: p.integer().primary().autoincrement(false),
    pipelineId: p.integer(),
    scmContext: p.string().length(200).nullable(),
    jobName: p.string().length(200),
    apiUri: p.string().length(500),
    /** The annotation as Screwdriver sent it. */
    cron: p.string().length(200),
    /** The cron with every H replaced for this job (what the ticks follow). */
    expression: p.string().length(200),
    nextAt: p.datetime().nullable(),
    state: p.string().$type<ScheduleState>().length(20),
    stoppedReason: p.string().length(500).nullable(),
    lastTickAt: p.datetime().nullable(),
    lastOutcome: p.string().length(500).nullable(),
    ...timestamps(),
  },
});
export type PeriodicScheduleRow = InferEntity<typeof PeriodicScheduleSchema>;

/**
 * Table `periodicTicks`: the outbox of claimed ticks. A tick is claimed (the schedule's `nextAt`
 * moved on) and its row written in one transaction, once per (job, tick); any replica then sends
 * it (`POST /v4/events` as the pipeline's admin) under a lease, and deletes it once sent or given up.
 */
export const PeriodicTickSchema = defineEntity({
  name: 'PeriodicTick',
  tableName: 'periodicTicks',
  uniques: [{ name: 'periodicTicks_jobId_dueAt_unique', properties: ['jobId', 'dueAt'] }],
  indexes: [{ name: 'periodicTicks_notBefore_index', properties: ['notBefore'] }],
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    jobId: p.integer(),
    dueAt: p.datetime(),
    /** 'tick' for a cron tick, 'trigger' for a start asked by the message itself (triggerBuild). */
    reason: p.string().length(20),
    attempts: p.integer().default(0),
    notBefore: p.datetime(),
    leaseUntil: p.datetime().nullable(),
    lastError: p.string().length(500).nullable(),
    createdAt: insertedAt(),
  },
});
export type PeriodicTickRow = InferEntity<typeof PeriodicTickSchema>;

export const periodicEntities = [PeriodicScheduleSchema, PeriodicTickSchema];
