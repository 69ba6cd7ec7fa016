import type { BuildState } from '@buildcluster/protocol';
import { bucketOf, buildKey, DIRECTORY, historyKey, pollKey, type QueueKeys } from './keys.js';
import {
  events,
  extended,
  list,
  num,
  pairs,
  pollOutcome,
  reapOutcome,
  str,
  type JobEvent,
  type PollOutcome,
  type ReapOutcome,
  type Rejected,
} from './replies.js';
import type { ScriptArg, ScriptSpec } from './scripts.js';

/**
 * The descriptors of the scripts behind a queue's state changes (store.ts): the KEYS and ARGV of
 * each in the order of its lua/ header, and its reply read into the values the store returns.
 */

/**
 * What reap-6 and nack-6 (the scripts that end leases) share: KEYS stream, redeliver, leases, meta,
 * dead, queue base; ARGV maxAttempts, wake channel, queue. Built once per queue by the store.
 */
export interface Release {
  keys: readonly string[];
  args: readonly ScriptArg[];
}

export const release = (k: QueueKeys, queue: string, maxAttempts: number, wakeChannel: string): Release => ({
  keys: [k.stream, k.redeliver, k.leases, k.meta, k.dead, k.base],
  args: [maxAttempts, wakeChannel, queue],
});

/** First reply cell of schedule-8 and enqueue-4: 1 created, 2 the queue is retired, 3 behind pending builds. */
const outcome = (first: unknown) => ({ created: first === 1, gone: first === 2, behind: first === 3 });

export interface ClaimedAndEnqueued {
  created: boolean;
  gone: boolean;
  behind: boolean;
  queue: string;
  cluster: string;
  directoryState: string;
  state: string;
}

export const scheduleSpec: ScriptSpec<
  { k: QueueKeys; queue: string; cluster: string; buildId: number; message: string; wakeChannel: string; reason: string },
  ClaimedAndEnqueued
> = {
  script: 'schedule',
  keys: ({ k, buildId }) => {
    const bucket = bucketOf(buildId);
    return [
      DIRECTORY.entry(buildId),
      k.stream,
      k.meta,
      buildKey(k, buildId),
      historyKey(k, buildId),
      bucket.pending,
      bucket.messages,
      DIRECTORY.pendingSequence,
    ];
  },
  args: (i) => [i.buildId, i.queue, i.cluster, i.message, i.wakeChannel, i.reason],
  decode: (reply) => {
    const r = list(reply);
    return { ...outcome(r[0]), queue: str(r[1]), cluster: str(r[2]), directoryState: str(r[3]), state: str(r[4]) };
  },
};

export interface Enqueued {
  created: boolean;
  gone: boolean;
  behind: boolean;
  state: BuildState;
  enqueuedMs: number;
}

export const enqueueSpec: ScriptSpec<
  {
    k: QueueKeys;
    queue: string;
    cluster: string;
    buildId: number;
    message: string;
    wakeChannel: string;
    mode: '' | 'post' | 'assign';
    markMs: number;
    keepMs: number;
  },
  Enqueued
> = {
  script: 'enqueue',
  keys: ({ k, buildId }) => [k.stream, k.meta, buildKey(k, buildId), historyKey(k, buildId)],
  args: (i) => [i.buildId, i.message, i.cluster, i.wakeChannel, i.queue, i.mode, i.markMs, i.keepMs],
  decode: (reply) => {
    const r = list(reply);
    return { ...outcome(r[0]), state: str(r[1]) as BuildState, enqueuedMs: num(r[3]) };
  },
};

/** The assigning mark (meta 'asg') until `ms` from now, Redis clock. */
export const markSpec: ScriptSpec<{ k: QueueKeys; ms: number }, void> = {
  script: 'mark',
  keys: ({ k }) => [k.meta],
  args: ({ ms }) => [ms],
  decode: () => undefined,
};

export const pollSpec: ScriptSpec<
  {
    k: QueueKeys;
    queue: string;
    workerId: string;
    max: number;
    pollId: string | undefined;
    leaseMs: number;
    maxAttempts: number;
    wakeChannel: string;
    keepMs: number;
    /** more leases for a poll that has some (see WorkerProtocol.lease): no replay, saved with its first */
    topUp: boolean;
  },
  PollOutcome
> = {
  script: 'poll',
  keys: ({ k, workerId, pollId }) => [
    k.stream,
    k.redeliver,
    k.leases,
    k.meta,
    k.workers,
    k.dead,
    k.base,
    pollId ? pollKey(k, workerId, pollId) : k.base,
  ],
  // The lease time is also how long a poll's answer is kept for a retry of the same pollId.
  args: (i) => [
    i.workerId,
    i.max,
    i.leaseMs,
    i.maxAttempts,
    i.pollId ?? '',
    i.leaseMs,
    i.wakeChannel,
    i.queue,
    i.keepMs,
    i.topUp ? '1' : '0',
  ],
  decode: (reply) => pollOutcome(list(reply)),
};

export const reapSpec: ScriptSpec<{ release: Release; limit: number; keepMs: number }, ReapOutcome> = {
  script: 'reap',
  keys: ({ release }) => release.keys,
  args: ({ release, limit, keepMs }) => [...release.args, limit, keepMs],
  decode: (reply) => reapOutcome(list(reply)),
};

export interface Acked {
  acked: string[];
  rejected: Rejected[];
  events: JobEvent[];
}

export const ackSpec: ScriptSpec<{ k: QueueKeys; keepMs: number; leaseIds: string[] }, Acked> = {
  script: 'ack',
  keys: ({ k }) => [k.stream, k.redeliver, k.leases, k.meta, k.base],
  args: ({ keepMs, leaseIds }) => [keepMs, ...leaseIds],
  decode: (reply) => {
    const r = list(reply);
    return { acked: list(r[0]).map(str), rejected: pairs(r[1]), events: events(r[2]) };
  },
};

export interface Extended {
  extended: Array<{ leaseId: string; leaseExpiresMs: number }>;
  rejected: Rejected[];
  /** Builds whose stop is queued: their workers should stop them. */
  stop: number[];
}

export const extendSpec: ScriptSpec<{ k: QueueKeys; leaseMs: number; leaseIds: string[] }, Extended> = {
  script: 'extend',
  keys: ({ k }) => [k.redeliver, k.leases, k.meta, k.base],
  args: ({ leaseMs, leaseIds }) => [leaseMs, ...leaseIds],
  decode: (reply) => {
    const r = list(reply);
    return { extended: extended(r[0]), rejected: pairs(r[1]), stop: list(r[2]).map(num) };
  },
};

export interface Nacked {
  nacked: string[];
  rejected: Rejected[];
  events: JobEvent[];
}

export const nackSpec: ScriptSpec<{ release: Release; keepMs: number; reason: string; leaseIds: string[] }, Nacked> = {
  script: 'nack',
  keys: ({ release }) => release.keys,
  args: ({ release, keepMs, reason, leaseIds }) => [...release.args, keepMs, reason, ...leaseIds],
  decode: (reply) => {
    const r = list(reply);
    return { nacked: list(r[0]).map(str), rejected: pairs(r[1]), events: events(r[2]) };
  },
};

export const stopSpec: ScriptSpec<
  { k: QueueKeys; queue: string; cluster: string; buildId: number; message: string; wakeChannel: string; keepMs: number },
  { state: BuildState; changed: boolean }
> = {
  script: 'stop',
  keys: ({ k, buildId }) => [k.stream, k.redeliver, k.meta, k.dead, buildKey(k, buildId), historyKey(k, buildId)],
  args: (i) => [i.buildId, i.message, i.wakeChannel, i.queue, i.keepMs, i.cluster],
  decode: (reply) => {
    const r = list(reply);
    return { state: str(r[0]) as BuildState, changed: r[1] === 1 };
  },
};

/** Jobs put back in the queue: 0 when the build is not dead, -1 when the queue is retired. */
export const requeueSpec: ScriptSpec<{ k: QueueKeys; queue: string; buildId: number; wakeChannel: string }, number> = {
  script: 'requeue',
  keys: ({ k, buildId }) => [k.stream, k.meta, k.dead, buildKey(k, buildId), historyKey(k, buildId), k.redeliver],
  args: ({ buildId, wakeChannel, queue }) => [buildId, wakeChannel, queue],
  decode: num,
};
