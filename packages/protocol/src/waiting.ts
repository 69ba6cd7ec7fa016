import { Type, type Static } from 'typebox';
import { BuildId } from './common.js';

/**
 * GET /v4/builds/waiting: every build that is known and not in a cluster's queue yet, whatever
 * holds it, with why. Each kind of wait has its own fields.
 */
export const WAITING_KINDS = ['pending', 'blocked', 'frozen'] as const;
export type WaitingKind = (typeof WAITING_KINDS)[number];

const DateTime = Type.String({ format: 'date-time' });
const NullableInteger = Type.Union([Type.Integer(), Type.Null()]);

/** A running build that holds a blocked one: the build and its job. */
export const BlockingBuild = Type.Object({ buildId: BuildId, jobId: Type.Integer() });
export type BlockingBuild = Static<typeof BlockingBuild>;

/** No eligible cluster yet (SPEC §5 rule 4). */
export const WaitingPending = Type.Object({
  kind: Type.Literal('pending'),
  buildId: BuildId,
  since: DateTime,
  reason: Type.String({ description: 'why no cluster is eligible' }),
  jobId: NullableInteger,
  pipelineId: NullableInteger,
  pipeline: Type.String({ description: "the pipeline's name" }),
  scmContext: Type.String(),
  requestedCluster: Type.Union([Type.String(), Type.Null()]),
});

/** Held by Screwdriver's blockedBy rule (or, without collapse, behind an older build of its job). */
export const WaitingBlocked = Type.Object({
  kind: Type.Literal('blocked'),
  buildId: BuildId,
  since: DateTime,
  reason: Type.String(),
  jobId: Type.Integer(),
  pipelineId: NullableInteger,
  /** The running builds that hold it; empty while it waits behind an older build of its job, or is being released. */
  blockedBy: Type.Array(BlockingBuild),
});

/** Held by a freeze window of its job until `frozenUntil`. */
export const WaitingFrozen = Type.Object({
  kind: Type.Literal('frozen'),
  buildId: BuildId,
  /** null when the freeze store does not record since when */
  since: Type.Union([DateTime, Type.Null()]),
  reason: Type.String(),
  jobId: Type.Integer(),
  pipelineId: NullableInteger,
  frozenUntil: DateTime,
});

export const WaitingBuild = Type.Union([WaitingPending, WaitingBlocked, WaitingFrozen]);
export type WaitingBuild = Static<typeof WaitingBuild>;
export type WaitingPending = Static<typeof WaitingPending>;
export type WaitingBlocked = Static<typeof WaitingBlocked>;
export type WaitingFrozen = Static<typeof WaitingFrozen>;

export const WaitingBuildsQuery = Type.Object(
  {
    kind: Type.Optional(Type.Enum(WAITING_KINDS)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, default: 0 })),
  },
  { additionalProperties: false },
);
export type WaitingBuildsQuery = Static<typeof WaitingBuildsQuery>;

/** Oldest first (builds whose start is unknown last); `total` counts them all, `totals` per kind. */
export const WaitingBuildList = Type.Object({
  builds: Type.Array(WaitingBuild),
  total: Type.Integer({ minimum: 0 }),
  totals: Type.Object({
    pending: Type.Integer({ minimum: 0 }),
    blocked: Type.Integer({ minimum: 0 }),
    frozen: Type.Integer({ minimum: 0 }),
  }),
  offset: Type.Integer({ minimum: 0 }),
  limit: Type.Integer({ minimum: 1 }),
});
export type WaitingBuildList = Static<typeof WaitingBuildList>;
