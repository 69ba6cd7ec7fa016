import { Type, type Static } from 'typebox';
import { BuildId, ClusterName } from './common.js';
import { BUILD_STATES } from './builds.js';

/** The operators' console: wait times, workers, pauses, bulk actions, build search, imports. */

const Ms = Type.Union([Type.Number(), Type.Null()]);

/** Percentiles of one measure over one window; null when nothing was measured in it. */
export const Percentiles = Type.Object({
  count: Type.Integer({ minimum: 0 }),
  p50Ms: Ms,
  p95Ms: Ms,
  p99Ms: Ms,
});
export type Percentiles = Static<typeof Percentiles>;

export const WAIT_WINDOWS = ['5m', '1h', '24h'] as const;
export type WaitWindow = (typeof WAIT_WINDOWS)[number];

/**
 * Queue wait (queued → first delivery) and run time (delivered → acked) per window. Kept in Redis
 * as bucketed histograms, so every replica and a restarted broker see the same figures.
 */
export const WaitFigures = Type.Object({
  wait: Type.Object({ '5m': Percentiles, '1h': Percentiles, '24h': Percentiles }),
  run: Type.Object({ '5m': Percentiles, '1h': Percentiles, '24h': Percentiles }),
});
export type WaitFigures = Static<typeof WaitFigures>;

export const WaitPoint = Type.Object({
  at: Type.String({ format: 'date-time', description: 'start of the interval' }),
  wait: Percentiles,
  run: Percentiles,
});
export type WaitPoint = Static<typeof WaitPoint>;

/** GET /v4/waittimes: overall and per cluster, with the history behind the chart. */
export const WaitTimesReport = Type.Object({
  overall: WaitFigures,
  clusters: Type.Record(Type.String(), WaitFigures),
  /** 10-minute intervals over the last 24 h, oldest first, of the cluster asked for (or of all). */
  history: Type.Array(WaitPoint),
  intervalMs: Type.Integer(),
});
export type WaitTimesReport = Static<typeof WaitTimesReport>;

export const WaitTimesQuery = Type.Object({ cluster: Type.Optional(ClusterName) }, { additionalProperties: false });
export type WaitTimesQuery = Static<typeof WaitTimesQuery>;

export const PAUSE_MODES = ['hold', 'divert'] as const;
export type PauseMode = (typeof PAUSE_MODES)[number];

/** A paused cluster hands nothing to its workers; `divert` also takes it out of the weighted pick. */
export const QueuePause = Type.Object({
  mode: Type.Enum(PAUSE_MODES),
  note: Type.String(),
  by: Type.String(),
  at: Type.String({ format: 'date-time' }),
});
export type QueuePause = Static<typeof QueuePause>;

export const PauseBody = Type.Object(
  {
    note: Type.String({ minLength: 1, maxLength: 500 }),
    mode: Type.Optional(Type.Enum(PAUSE_MODES, { default: 'hold' })),
  },
  { additionalProperties: false },
);
export type PauseBody = Static<typeof PauseBody>;

export const ResumeBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });
export type ResumeBody = Static<typeof ResumeBody>;

/** One line of a cluster's audit trail (pause, resume, bulk actions). */
export const AuditLine = Type.Object({
  at: Type.String({ format: 'date-time' }),
  by: Type.String(),
  action: Type.String(),
  note: Type.String(),
});
export type AuditLine = Static<typeof AuditLine>;

export const PauseState = Type.Object({
  cluster: Type.String(),
  paused: Type.Union([QueuePause, Type.Null()]),
  audit: Type.Array(AuditLine),
});
export type PauseState = Static<typeof PauseState>;

export const RunningJob = Type.Object({
  buildId: BuildId,
  type: Type.String(),
  attempt: Type.Integer(),
  leaseId: Type.String(),
  since: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  leaseExpiresAt: Type.String({ format: 'date-time' }),
});

/** A worker seen polling a cluster in the last hour. */
export const WorkerInfo = Type.Object({
  workerId: Type.String(),
  address: Type.String(),
  version: Type.String({ description: "the worker's User-Agent" }),
  firstSeenAt: Type.String({ format: 'date-time' }),
  lastPollAt: Type.String({ format: 'date-time' }),
  running: Type.Array(RunningJob),
  done: Type.Integer({ description: 'builds it acked' }),
  failed: Type.Integer({ description: 'builds it nacked' }),
  stale: Type.Boolean({ description: 'no poll for STALE_WORKER_SECONDS and no live lease' }),
});
export type WorkerInfo = Static<typeof WorkerInfo>;

export const WorkerList = Type.Object({
  cluster: Type.String(),
  staleAfterMs: Type.Integer(),
  workers: Type.Array(WorkerInfo),
});
export type WorkerList = Static<typeof WorkerList>;

/** Bulk actions: `dryRun` answers what would be touched, and touches nothing. */
export const BulkRequeueBody = Type.Object(
  {
    buildIds: Type.Optional(Type.Array(BuildId, { minItems: 1, maxItems: 1000 })),
    dryRun: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);
export type BulkRequeueBody = Static<typeof BulkRequeueBody>;

export const BulkPurgeBody = Type.Object(
  {
    before: Type.String({ format: 'date-time', description: 'dead letters that died before this time' }),
    dryRun: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);
export type BulkPurgeBody = Static<typeof BulkPurgeBody>;

export const BulkCancelBody = Type.Object(
  {
    pipelineId: Type.Optional(Type.Integer({ minimum: 1 })),
    pipelineName: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    jobId: Type.Optional(Type.Integer({ minimum: 1 })),
    jobName: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    cluster: Type.Optional(ClusterName),
    dryRun: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);
export type BulkCancelBody = Static<typeof BulkCancelBody>;

export const BulkResult = Type.Object({
  dryRun: Type.Boolean(),
  /** builds the action matches (what a dry run would touch) */
  matched: Type.Integer(),
  buildIds: Type.Array(BuildId),
  /** builds it changed (0 on a dry run) */
  done: Type.Integer(),
  /** builds that changed state in between and were left alone */
  skipped: Type.Array(Type.Object({ buildId: BuildId, reason: Type.String() })),
});
export type BulkResult = Static<typeof BulkResult>;

/** GET /v4/builds?... */
export const BuildSearchQuery = Type.Object(
  {
    buildId: Type.Optional(BuildId),
    pipeline: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'pipeline id or name' })),
    job: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'job id or name' })),
    eventId: Type.Optional(Type.Integer({ minimum: 1 })),
    cluster: Type.Optional(ClusterName),
    state: Type.Optional(Type.Enum(BUILD_STATES)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);
export type BuildSearchQuery = Static<typeof BuildSearchQuery>;

export const TimelineEntry = Type.Object({
  at: Type.String({ format: 'date-time' }),
  kind: Type.String({ description: 'queued, delivered, nacked, expired, acked, stop, cancelled, dead, pending' }),
  detail: Type.String(),
  workerId: Type.Optional(Type.String()),
  leaseId: Type.Optional(Type.String()),
  attempt: Type.Optional(Type.Integer()),
  leaseExpiresAt: Type.Optional(Type.String({ format: 'date-time' })),
});
export type TimelineEntry = Static<typeof TimelineEntry>;

export const BuildSummary = Type.Object({
  buildId: BuildId,
  state: Type.Enum(BUILD_STATES),
  cluster: Type.Union([Type.String(), Type.Null()]),
  pipelineId: Type.Union([Type.Integer(), Type.Null()]),
  pipelineName: Type.Union([Type.String(), Type.Null()]),
  jobId: Type.Union([Type.Integer(), Type.Null()]),
  jobName: Type.Union([Type.String(), Type.Null()]),
  eventId: Type.Union([Type.Integer(), Type.Null()]),
  queuedAt: Type.String({ format: 'date-time' }),
  attempts: Type.Integer(),
  /** The build in Screwdriver's UI, when SCREWDRIVER_UI_URL is set and the pipeline id is known. */
  uiUrl: Type.Union([Type.String(), Type.Null()]),
  timeline: Type.Array(TimelineEntry),
});
export type BuildSummary = Static<typeof BuildSummary>;

export const BuildSearchResult = Type.Object({ builds: Type.Array(BuildSummary), scanned: Type.Integer() });
export type BuildSearchResult = Static<typeof BuildSearchResult>;

/** Import from Screwdriver's GET /v4/buildclusters. */
export const ImportSource = Type.Object(
  {
    apiUrl: Type.String({ minLength: 1, maxLength: 500, pattern: '^https?://' }),
    token: Type.String({ minLength: 1, maxLength: 20000 }),
  },
  { additionalProperties: false },
);
export type ImportSource = Static<typeof ImportSource>;

export const ImportBody = Type.Object(
  {
    apiUrl: ImportSource.properties.apiUrl,
    token: ImportSource.properties.token,
    names: Type.Array(ClusterName, { minItems: 1, maxItems: 500 }),
  },
  { additionalProperties: false },
);
export type ImportBody = Static<typeof ImportBody>;

/** A cluster as Screwdriver's registry describes it. */
export const ScrewdriverCluster = Type.Object({
  name: Type.String(),
  scmContext: Type.String(),
  scmOrganizations: Type.Array(Type.String()),
  managedByScrewdriver: Type.Boolean(),
  isActive: Type.Boolean(),
  weightage: Type.Number(),
  group: Type.Union([Type.String(), Type.Null()]),
  maintainer: Type.Union([Type.String(), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
});
export type ScrewdriverCluster = Static<typeof ScrewdriverCluster>;

export const IMPORT_STATUSES = ['missing', 'same', 'differs', 'awaiting-key'] as const;

export const ImportCandidate = Type.Object({
  source: ScrewdriverCluster,
  status: Type.Enum(IMPORT_STATUSES),
  /** fields that differ from the broker's cluster: "weightage: 0.5 in Screwdriver, 50 here" */
  differences: Type.Array(Type.String()),
});
export type ImportCandidate = Static<typeof ImportCandidate>;

export const ImportPreview = Type.Object({ apiUrl: Type.String(), clusters: Type.Array(ImportCandidate) });
export type ImportPreview = Static<typeof ImportPreview>;

/** A registration imported from Screwdriver that waits for its cluster's public key; never selected. */
export const AwaitingCluster = Type.Object({
  name: Type.String(),
  scmContext: Type.String(),
  scmOrganization: Type.String(),
  managedBy: Type.String(),
  isActive: Type.Boolean(),
  weightage: Type.Integer(),
  maintainer: Type.Union([Type.String(), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
  source: Type.String({ description: 'the Screwdriver API it was imported from' }),
  importedBy: Type.String(),
  importedAt: Type.String({ format: 'date-time' }),
});
export type AwaitingCluster = Static<typeof AwaitingCluster>;

export const ImportResult = Type.Object({
  imported: Type.Array(AwaitingCluster),
  skipped: Type.Array(Type.Object({ name: Type.String(), reason: Type.String() })),
});
export type ImportResult = Static<typeof ImportResult>;

/** GET /v4/me: who the token is, and whether it may change anything. */
export const WhoAmI = Type.Object({
  username: Type.String(),
  scopes: Type.Array(Type.String()),
  canWrite: Type.Boolean(),
  screwdriverUiUrl: Type.Union([Type.String(), Type.Null()]),
});
export type WhoAmI = Static<typeof WhoAmI>;
