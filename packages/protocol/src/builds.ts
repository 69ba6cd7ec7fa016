import { Type, type Static } from 'typebox';
import { BuildId } from './common.js';
import { Provider } from './clusters.js';

/**
 * `blocked`: held by Screwdriver's blockedBy rule until the build that blocks it ends. `frozen`: inside one of
 * its job's freeze windows; the broker starts the job again through the API when the window ends.
 */
export const BUILD_STATES = ['pending', 'blocked', 'frozen', 'queued', 'leased', 'acked', 'cancelled', 'dead'] as const;
export type BuildState = (typeof BUILD_STATES)[number];

/**
 * Screwdriver's start message (executor-queue contract). Only the fields the broker reads are
 * described; every other field is kept and handed to the worker unchanged.
 */
export const StartMessage = Type.Object(
  {
    buildId: BuildId,
    jobId: Type.Optional(Type.Integer()),
    eventId: Type.Optional(Type.Integer()),
    pipelineId: Type.Optional(Type.Integer()),
    jobName: Type.Optional(Type.String({ maxLength: 500 })),
    annotations: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    blockedBy: Type.Optional(Type.Array(Type.Integer())),
    pipeline: Type.Object(
      {
        id: Type.Optional(Type.Integer()),
        name: Type.String({ minLength: 1, maxLength: 500 }),
        scmContext: Type.String({ minLength: 1, maxLength: 200 }),
      },
      { additionalProperties: true },
    ),
    apiUri: Type.Optional(Type.String()),
    container: Type.Optional(Type.String()),
    isPR: Type.Optional(Type.Boolean()),
    // Null first: the broker's validator coerces types, and with the scalar branch first it would turn
    // Screwdriver's `null` into 0 or "" in the message handed to the worker.
    prNum: Type.Optional(Type.Union([Type.Null(), Type.Integer()])),
    buildClusterName: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 100 })])),
    provider: Type.Optional(Type.Union([Provider, Type.Null()])),
  },
  { additionalProperties: true },
);
export type StartMessage = Static<typeof StartMessage>;

export const StopMessage = Type.Object({ buildId: BuildId }, { additionalProperties: true });
export type StopMessage = Static<typeof StopMessage>;

/**
 * 201/200 answer of POST /v1/queue/message. `cluster`/`queue` are null while the build is pending.
 * `skipped`: Screwdriver sent a build of a disabled or archived job, which is not queued.
 * `collapsed`: a newer build of the same job runs instead (Screwdriver's collapseBuilds).
 */
export const EnqueueResult = Type.Object({
  buildId: BuildId,
  state: Type.Enum([...BUILD_STATES, 'skipped', 'collapsed'] as const),
  cluster: Type.Union([Type.String(), Type.Null()]),
  queue: Type.Union([Type.String(), Type.Null()]),
  statusMessage: Type.Optional(Type.String()),
});
export type EnqueueResult = Static<typeof EnqueueResult>;

/** Answer of DELETE /v1/queue/message: stopping is idempotent, so a build the broker does not know is `unknown`, not an error. */
export const StopResult = Type.Object({
  buildId: BuildId,
  state: Type.Enum([...BUILD_STATES, 'unknown'] as const),
});
export type StopResult = Static<typeof StopResult>;

/**
 * POST /v1/queue/message?type=timer: Screwdriver arms a build's timeout when the build goes
 * RUNNING (executor-queue `startTimer`). `screwdriver.cd/timeout` is in minutes.
 */
export const TimerStartMessage = Type.Object(
  {
    buildId: BuildId,
    jobId: Type.Optional(Type.Integer()),
    pipelineId: Type.Optional(Type.Integer()),
    buildStatus: Type.Optional(Type.String({ maxLength: 50 })),
    startTime: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
    annotations: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
  },
  { additionalProperties: true },
);
export type TimerStartMessage = Static<typeof TimerStartMessage>;

/** Answer of the `?type=timer` calls: whether a timer is armed for the build now, and until when. */
export const TimerResult = Type.Object({
  buildId: BuildId,
  timer: Type.Enum(['armed', 'unchanged', 'stopped', 'none'] as const),
  firesAt: Type.Optional(Type.String({ format: 'date-time' })),
});
export type TimerResult = Static<typeof TimerResult>;

/**
 * `?type=frozen` (executor-queue `startFrozen`/`stopFrozen`): POST starts the job's build again at once (through
 * the API, as its pipeline's admin); DELETE forgets the job's frozen build. Only the fields the broker reads are
 * described.
 */
export const FrozenMessage = Type.Object(
  {
    jobId: Type.Integer({ minimum: 1 }),
    buildId: Type.Optional(BuildId),
    jobName: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    eventId: Type.Optional(Type.Integer()),
    pipelineId: Type.Optional(Type.Integer()),
    pipeline: Type.Optional(
      Type.Object(
        { id: Type.Optional(Type.Integer()), scmContext: Type.Optional(Type.String({ maxLength: 200 })) },
        { additionalProperties: true },
      ),
    ),
    apiUri: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: true },
);
export type FrozenMessage = Static<typeof FrozenMessage>;

/** Answer of the `?type=frozen` calls: what is frozen for the job now. */
export const FrozenResult = Type.Object({
  jobId: Type.Integer(),
  frozen: Type.Enum(['starting', 'stopped', 'none'] as const),
  buildId: Type.Optional(BuildId),
});
export type FrozenResult = Static<typeof FrozenResult>;

/** Answer of a `?type=` call the operator chose to have ignored (IGNORE_QUEUE_FEATURES). */
export const IgnoredResult = Type.Object({ ignored: Type.String(), message: Type.String() });
export type IgnoredResult = Static<typeof IgnoredResult>;

export const BuildHistoryEntry = Type.Object({
  at: Type.String({ format: 'date-time' }),
  state: Type.String(),
  detail: Type.Optional(Type.String()),
});

/** GET /v4/builds/{buildId} */
export const BuildStatus = Type.Object({
  buildId: BuildId,
  state: Type.Enum(BUILD_STATES),
  cluster: Type.Union([Type.String(), Type.Null()]),
  queue: Type.Union([Type.String(), Type.Null()]),
  enqueuedAt: Type.String({ format: 'date-time' }),
  attempts: Type.Integer(),
  position: Type.Optional(Type.Integer({ minimum: 1 })),
  leasedBy: Type.Optional(Type.String()),
  leaseExpiresAt: Type.Optional(Type.String({ format: 'date-time' })),
  ackedAt: Type.Optional(Type.String({ format: 'date-time' })),
  pendingReason: Type.Optional(Type.String()),
  /** A frozen build: when its freeze window ends and the broker starts it again. */
  frozenUntil: Type.Optional(Type.String({ format: 'date-time' })),
  /** While blocked: the running builds that hold it (build and job), and since when it waits. */
  blockedBy: Type.Optional(Type.Array(Type.Object({ buildId: BuildId, jobId: Type.Integer() }))),
  blockedSince: Type.Optional(Type.String({ format: 'date-time' })),
  history: Type.Optional(Type.Array(BuildHistoryEntry)),
});
export type BuildStatus = Static<typeof BuildStatus>;

export const BuildIdParams = Type.Object({ buildId: BuildId });

/** A build no eligible cluster could take yet (README "API", Which cluster runs a build: pending), and why. */
export const PendingBuild = Type.Object({
  buildId: BuildId,
  pendingSince: Type.String({ format: 'date-time' }),
  reason: Type.String(),
  requestedCluster: Type.Union([Type.String(), Type.Null()]),
  scmContext: Type.String(),
  pipeline: Type.String({ description: "the pipeline's name" }),
  jobId: Type.Union([Type.Integer(), Type.Null()]),
  pipelineId: Type.Union([Type.Integer(), Type.Null()]),
});
export type PendingBuild = Static<typeof PendingBuild>;

/** GET /v4/builds/pending: the oldest `limit` pending builds, oldest first; `total` counts them all. */
export const PendingBuildList = Type.Object({
  builds: Type.Array(PendingBuild),
  total: Type.Integer({ minimum: 0 }),
});
export type PendingBuildList = Static<typeof PendingBuildList>;

export const PendingBuildsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});
export type PendingBuildsQuery = Static<typeof PendingBuildsQuery>;
