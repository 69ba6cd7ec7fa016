import { bucketOf, DIRECTORY, LEGACY_DIRECTORY, type BucketKeys } from '../storage/keys.js';
import { list, num, str } from '../storage/replies.js';
import type { ScriptSpec } from '../storage/scripts.js';

/**
 * The build directory's scripts as descriptors (storage/scripts.ts): which keys and arguments each
 * takes (in one bucket, so one slot) and how its reply reads. The hash field names of an entry stay
 * here (ENTRY) and in the directory's reads (directory.ts, directory-buckets.ts); callers get typed values.
 */
export type DirectoryState = '' | 'pending' | 'cancelled';

/** The fields of a build's directory entry `dir:{T}:b:<id>`, as the scripts write them. */
export const ENTRY = { queue: 'q', cluster: 'c', state: 'st', reason: 'r', claimedAt: 'at' } as const;

export interface Claim {
  created: boolean;
  queue: string;
  cluster: string;
  state: DirectoryState;
}

export type CancelOutcome =
  { kind: 'missing' } | { kind: 'cancelled'; changed: boolean } | { kind: 'queue'; queue: string; cluster: string };

/** The journals a build waits in between two steps; each in the build's bucket. */
export type Journal = 'claims' | 'assigning';

const state = (v: unknown): DirectoryState => {
  const s = str(v);
  return s === 'pending' || s === 'cancelled' ? s : '';
};
const entryKeys = (buildId: number, b: BucketKeys = bucketOf(buildId)) => [DIRECTORY.entry(buildId), b.pending, b.messages];

export const claimSpec: ScriptSpec<
  { buildId: number; queue: string; cluster: string; message: string; reason: string; arrival: number },
  Claim
> = {
  script: 'claim',
  keys: ({ buildId }) => [...entryKeys(buildId), bucketOf(buildId).claims],
  args: (i) => [i.buildId, i.queue, i.cluster, i.message, i.reason, i.arrival],
  decode: (reply) => {
    const r = list(reply);
    return { created: r[0] === 1, queue: str(r[1]), cluster: str(r[2]), state: state(r[3]) };
  },
};

export const cancelPendingSpec: ScriptSpec<{ buildId: number; keepMs: number }, CancelOutcome> = {
  script: 'cancel-pending',
  keys: ({ buildId }) => entryKeys(buildId),
  args: ({ buildId, keepMs }) => [buildId, keepMs],
  decode: (reply) => {
    const r = list(reply).map(str);
    if (r[0] === 'missing') return { kind: 'missing' };
    if (r[0] === 'cancelled') return { kind: 'cancelled', changed: r[1] === '1' };
    return { kind: 'queue', queue: r[1] ?? '', cluster: r[2] ?? '' };
  },
};

/** The message when this call won the assignment, else null. */
export const assignSpec: ScriptSpec<{ buildId: number; queue: string; cluster: string }, string | null> = {
  script: 'assign',
  keys: ({ buildId }) => [...entryKeys(buildId), bucketOf(buildId).assigning],
  args: ({ buildId, queue, cluster }) => [buildId, queue, cluster],
  decode: (reply) => {
    const r = list(reply);
    return r[0] === 1 ? str(r[1]) || '{}' : null;
  },
};

export const rependSpec: ScriptSpec<
  { buildId: number; queue: string; message: string; reason: string; from: Journal; arrival: number },
  boolean
> = {
  script: 'repend',
  keys: ({ buildId, from }) => [...entryKeys(buildId), bucketOf(buildId)[from]],
  args: (i) => [i.buildId, i.queue, i.message, i.reason, i.arrival],
  decode: (reply) => reply === 1,
};

/** Builds of one bucket dropped from a journal (they are in their queue now). */
export const settleSpec: ScriptSpec<{ bucket: BucketKeys; from: Journal; buildIds: number[] }, number> = {
  script: 'settle',
  keys: ({ bucket, from }) => [bucket[from], bucket.messages],
  args: ({ buildIds }) => buildIds,
  decode: num,
};

/** One build of the previous layout moved into its bucket (one Redis only). */
export const upgradeSpec: ScriptSpec<{ buildId: number }, boolean> = {
  script: 'upgrade',
  keys: ({ buildId }) => {
    const b = bucketOf(buildId);
    const old = LEGACY_DIRECTORY;
    return [
      old.entry(buildId),
      DIRECTORY.entry(buildId),
      old.pending,
      old.messages,
      old.assigning,
      b.pending,
      b.messages,
      b.assigning,
    ];
  },
  args: ({ buildId }) => [buildId],
  decode: (reply) => reply === 1,
};

/** Extends the drain lock while it holds our token; false when it lapsed (another replica may hold it). */
export const renewSpec: ScriptSpec<{ token: string; ttlMs: number }, boolean> = {
  script: 'renew',
  keys: () => [DIRECTORY.drainLock],
  args: ({ token, ttlMs }) => [token, ttlMs],
  decode: (reply) => reply === 1,
};

/** Deletes the drain lock only while it holds our token. */
export const unlockSpec: ScriptSpec<{ token: string }, void> = {
  script: 'unlock',
  keys: () => [DIRECTORY.drainLock],
  args: ({ token }) => [token],
  decode: () => undefined,
};
