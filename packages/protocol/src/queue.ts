import { Type, type Static } from 'typebox';
import { BuildId } from './common.js';
import { WORKER_ID_PATTERN } from './constants.js';
import { QueuePause, WaitFigures } from './console.js';

export const JOB_TYPES = ['start', 'stop'] as const;
export type JobType = (typeof JOB_TYPES)[number];

const WorkerId = Type.String({ minLength: 1, maxLength: 200, pattern: WORKER_ID_PATTERN });
const LeaseId = Type.String({ minLength: 1, maxLength: 200 });
const LeaseIds = Type.Array(LeaseId, { minItems: 1, maxItems: 100 });

/** POST /v4/queues/{cluster}/poll */
export const PollBody = Type.Object(
  {
    workerId: WorkerId,
    max: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 1 })),
    waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 30000, default: 20000 })),
    pollId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    /**
     * Leases to ack before leasing more, as POST …/ack would: a worker that polls again after a batch
     * carries the batch's acks instead of sending them on their own. The answer reports them, so a
     * poll that carries acks answers 200 (with no jobs) where it would answer 204.
     */
    ack: Type.Optional(LeaseIds),
  },
  { additionalProperties: false },
);
export type PollBody = Static<typeof PollBody>;

export const Job = Type.Object({
  leaseId: LeaseId,
  buildId: BuildId,
  type: Type.Enum(JOB_TYPES),
  attempt: Type.Integer({ minimum: 1 }),
  /** Deliveries before the build goes to the dead letters: `attempt === maxAttempts` is the last try. */
  maxAttempts: Type.Optional(Type.Integer({ minimum: 1 })),
  enqueuedAt: Type.String({ format: 'date-time' }),
  leaseExpiresAt: Type.String({ format: 'date-time' }),
  message: Type.Record(Type.String(), Type.Unknown()),
});
export type Job = Static<typeof Job>;

/**
 * Why a lease was refused: `lease_lost` (it expired or was nacked, and the build was delivered
 * again), `unknown_lease`, `cancelled` (the build was stopped), `acked` (extending or nacking a
 * lease already acked).
 */
export const LEASE_REJECTIONS = ['lease_lost', 'unknown_lease', 'cancelled', 'acked'] as const;
export const Rejection = Type.Object({ leaseId: Type.String(), reason: Type.String() });
export type Rejection = Static<typeof Rejection>;

export const PollResult = Type.Object({
  jobs: Type.Array(Job),
  /** Of the poll's `ack`, the leases acked and those refused (present only when the poll carried acks). */
  acked: Type.Optional(Type.Array(Type.String())),
  rejected: Type.Optional(Type.Array(Rejection)),
});
export type PollResult = Static<typeof PollResult>;

/** POST /v4/queues/{cluster}/ack */
export const AckBody = Type.Object({ leaseIds: LeaseIds }, { additionalProperties: false });
export type AckBody = Static<typeof AckBody>;
export const AckResult = Type.Object({ acked: Type.Array(Type.String()), rejected: Type.Array(Rejection) });
export type AckResult = Static<typeof AckResult>;

/** POST /v4/queues/{cluster}/extend */
export const ExtendBody = Type.Object(
  { leaseIds: LeaseIds, leaseMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 3600000 })) },
  { additionalProperties: false },
);
export type ExtendBody = Static<typeof ExtendBody>;
export const ExtendResult = Type.Object({
  extended: Type.Array(Type.Object({ leaseId: Type.String(), leaseExpiresAt: Type.String({ format: 'date-time' }) })),
  rejected: Type.Array(Rejection),
  /** Builds among the extended leases that Screwdriver asked to stop: the worker should stop them. */
  stop: Type.Array(BuildId),
});
export type ExtendResult = Static<typeof ExtendResult>;

/** POST /v4/queues/{cluster}/nack */
export const NackBody = Type.Object(
  { leaseIds: LeaseIds, reason: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
export type NackBody = Static<typeof NackBody>;
export const NackResult = Type.Object({ nacked: Type.Array(Type.String()), rejected: Type.Array(Rejection) });
export type NackResult = Static<typeof NackResult>;

export const QueueClusterParams = Type.Object({ cluster: Type.String({ minLength: 1, maxLength: 100 }) });

/** One queue's figures (GET /v4/queues, /v1/queue/stats, the live stats event). */
export const QueueStats = Type.Object({
  cluster: Type.String(),
  queue: Type.String(),
  depth: Type.Integer({ description: 'builds queued, not yet leased' }),
  inFlight: Type.Integer({ description: 'builds leased to a worker' }),
  oldestQueuedAgeMs: Type.Union([Type.Integer(), Type.Null()]),
  dead: Type.Integer(),
  deliveredWatermark: Type.String({ description: 'stream id of the last entry handed out' }),
  ackedWatermark: Type.String({ description: 'every entry at or below this stream id is acked' }),
  workersLastMinute: Type.Integer(),
  enqueuedTotal: Type.Integer(),
  ackedTotal: Type.Integer(),
  /** What the watermarks mean: builds handed out and not yet acked, and the oldest of them. */
  unackedBehind: Type.Optional(Type.Integer({ description: 'builds delivered and not yet acked' })),
  oldestUnackedAgeMs: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  /** Set while dispatch is paused (the cluster keeps queuing, its workers get nothing). */
  paused: Type.Optional(Type.Union([QueuePause, Type.Null()])),
  waitTimes: Type.Optional(WaitFigures),
  workersLastHour: Type.Optional(Type.Integer()),
  staleWorkers: Type.Optional(Type.Integer({ description: 'workers seen in the last hour that stopped polling' })),
});
export type QueueStats = Static<typeof QueueStats>;

/** GET /v1/queue/stats: every queue, and the builds still waiting for an eligible cluster. */
export const QueueStatsSummary = Type.Object({
  queues: Type.Array(QueueStats),
  pending: Type.Integer({ description: 'builds with no eligible cluster yet' }),
});
export type QueueStatsSummary = Static<typeof QueueStatsSummary>;

export const Lease = Type.Object({
  leaseId: Type.String(),
  buildId: BuildId,
  type: Type.Enum(JOB_TYPES),
  workerId: Type.String(),
  attempt: Type.Integer(),
  leaseExpiresAt: Type.String({ format: 'date-time' }),
});
export type Lease = Static<typeof Lease>;

export const QueuedBuild = Type.Object({
  buildId: BuildId,
  type: Type.Enum(JOB_TYPES),
  position: Type.Integer({ minimum: 1 }),
  attempt: Type.Integer(),
  enqueuedAt: Type.String({ format: 'date-time' }),
});
export type QueuedBuild = Static<typeof QueuedBuild>;

export const QueueDetail = Type.Intersect([
  QueueStats,
  Type.Object({ leases: Type.Array(Lease), next: Type.Array(QueuedBuild) }),
]);
export type QueueDetail = Static<typeof QueueDetail>;

export const DeadBuild = Type.Object({
  buildId: BuildId,
  type: Type.Enum(JOB_TYPES),
  attempts: Type.Integer(),
  reason: Type.String(),
  diedAt: Type.String({ format: 'date-time' }),
  enqueuedAt: Type.String({ format: 'date-time' }),
});
export type DeadBuild = Static<typeof DeadBuild>;
