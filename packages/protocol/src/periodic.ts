import { Type, type Static } from 'typebox';

const Id = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });

/**
 * Body of `POST /v1/queue/message?type=periodic`, as Screwdriver's executor-queue sends it
 * (models job create/update, `startPeriodic`): the pipeline and job rows, the API's address, and
 * the queue-service's flags. The cron is the job's `screwdriver.cd/buildPeriodically` annotation.
 */
export const PeriodicStartMessage = Type.Object(
  {
    pipeline: Type.Object(
      { id: Id, scmContext: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
      { additionalProperties: true },
    ),
    job: Type.Object(
      {
        id: Id,
        name: Type.String({ minLength: 1, maxLength: 200 }),
        state: Type.Enum(['ENABLED', 'DISABLED'] as const),
        archived: Type.Optional(Type.Boolean()),
        permutations: Type.Optional(
          Type.Array(
            Type.Object(
              { annotations: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])) },
              { additionalProperties: true },
            ),
            { maxItems: 1000 },
          ),
        ),
      },
      { additionalProperties: true },
    ),
    apiUri: Type.String({ pattern: '^https?://', minLength: 8, maxLength: 500 }),
    /** Replaces the job's schedule (the next tick is computed again). */
    isUpdate: Type.Optional(Type.Boolean()),
    /** Also start the job now ("Started by periodic build scheduler"). */
    triggerBuild: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);
export type PeriodicStartMessage = Static<typeof PeriodicStartMessage>;

/** Body of `DELETE /v1/queue/message?type=periodic` (models job update/remove, `stopPeriodic`). */
export const PeriodicStopMessage = Type.Object({ jobId: Id, pipelineId: Type.Optional(Id) }, { additionalProperties: true });
export type PeriodicStopMessage = Static<typeof PeriodicStopMessage>;

/**
 * Answer of the `?type=periodic` calls. `scheduled`: the job ticks at `nextAt`; `stopped`: it no
 * longer ticks (removed, disabled, archived, no cron); `none`: the broker had no schedule for it.
 */
export const PeriodicResult = Type.Object({
  jobId: Id,
  schedule: Type.Enum(['scheduled', 'stopped', 'none'] as const),
  cron: Type.Optional(Type.String()),
  expression: Type.Optional(Type.String({ description: 'the cron with every H replaced for this job (UTC)' })),
  nextAt: Type.Optional(Type.String({ format: 'date-time' })),
  reason: Type.Optional(Type.String()),
  /** triggerBuild: a start of the job was recorded and is sent to Screwdriver. */
  triggered: Type.Optional(Type.Boolean()),
});
export type PeriodicResult = Static<typeof PeriodicResult>;

const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

/** One job's schedule, as `GET /v4/periodic` lists it. */
export const PeriodicScheduleView = Type.Object({
  jobId: Id,
  pipelineId: Id,
  jobName: Type.String(),
  scmContext: Type.Union([Type.String(), Type.Null()]),
  apiUri: Type.String(),
  cron: Type.String(),
  expression: Type.String(),
  state: Type.Enum(['active', 'stopped'] as const),
  stoppedReason: Type.Union([Type.String(), Type.Null()]),
  nextAt: Time,
  lastTickAt: Time,
  lastOutcome: Type.Union([Type.String(), Type.Null()]),
  /** Ticks claimed and not yet sent to Screwdriver (retrying, or in flight). */
  pendingTicks: Type.Integer({ minimum: 0 }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type PeriodicScheduleView = Static<typeof PeriodicScheduleView>;

export const PeriodicListQuery = Type.Object({
  state: Type.Optional(Type.Enum(['active', 'stopped'] as const)),
  pipelineId: Type.Optional(Id),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
});
export type PeriodicListQuery = Static<typeof PeriodicListQuery>;

export const PeriodicScheduleList = Type.Object({
  schedules: Type.Array(PeriodicScheduleView),
  /** Active schedules in all (the list may be cut at `limit`). */
  active: Type.Integer({ minimum: 0 }),
  now: Type.String({ format: 'date-time', description: "the broker's schedule clock" }),
});
export type PeriodicScheduleList = Static<typeof PeriodicScheduleList>;
