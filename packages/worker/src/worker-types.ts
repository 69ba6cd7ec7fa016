import type { Job } from '@buildcluster/protocol';
import type { WorkerLog } from './log.js';

/** Why a running build's signal was aborted. */
export type JobAbortReason =
  /** Screwdriver asked to stop this build: finish quickly; the build is acked whatever the outcome. */
  | 'stop_requested'
  /** The lease is gone (expired and delivered again, or cancelled): stop; the result is dropped. */
  | 'lease_lost'
  /** The worker is forced to stop (a second SIGTERM): stop; the build is nacked and delivered again. */
  | 'shutdown';

export interface JobContext {
  /** Aborted (with a JobAbortReason as `signal.reason`) when the build should stop early. */
  signal: AbortSignal;
  log: WorkerLog;
}

/**
 * Runs one delivered message. Resolve to ack it (optionally with a short summary for the log,
 * e.g. "exit 0"); throw to nack it (the error message is the reason given to the broker).
 */
export type JobHandler = (job: Job, context: JobContext) => Promise<string | void>;

export interface WorkerObserver {
  pollAnswered?(): void;
  pollFailed?(err: unknown): void;
  /** A message was acked or nacked (`ok` false: the broker refused it or could not be told). */
  settled?(job: Job, kind: 'ack' | 'nack', ok: boolean): void;
}
