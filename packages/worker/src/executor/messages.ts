import type { Job } from '@buildcluster/protocol';
import type { BuildMessage } from './types.js';

/** Screwdriver's rule for a build cluster name (screwdriver-data-schema), stricter than the broker's. */
const SD_CLUSTER_NAME = /^[\w.-]{1,50}$/;

/** Fields a stop needs to be routed and checked like Screwdriver's own stop, taken from the start. */
const STOP_FIELDS_FROM_START = ['apiUri', 'jobId', 'pipelineId', 'jobName', 'annotations', 'blockedBy', 'provider'] as const;

/**
 * A `buildClusterName` Screwdriver itself would reject fails executor-base's schema check, and with
 * it the whole build; drop it, as Screwdriver's queue-service does (the executors do not read it).
 */
function dropBadClusterName(message: BuildMessage): void {
  const name = message.buildClusterName;
  if (name !== undefined && name !== null && !(typeof name === 'string' && SD_CLUSTER_NAME.test(name))) {
    delete message.buildClusterName;
  }
}

/** The start message for the executor: a copy, with the lease's build id and a cluster name that passes. */
export function startMessage(job: Job): BuildMessage {
  const message = { ...structuredClone(job.message), buildId: job.buildId } as BuildMessage;
  dropBadClusterName(message);
  return message;
}

export interface StopPlan {
  message: BuildMessage;
  /** Fields still missing after filling (neither the stop nor a start this worker saw had them). */
  missing: string[];
}

/**
 * The stop message for the executor: what Screwdriver sent, completed from the build's start
 * (the broker forwards it; this worker's own copy covers a broker that did not), and `apiUri`
 * from the ecosystem as a last resort. The token is dropped, as buildcluster-queue-worker does: a
 * stop must not act with a launcher token that may be stale by now.
 */
export function stopMessage(
  buildId: number,
  received: Record<string, unknown>,
  start: BuildMessage | undefined,
  ecosystemApi: string | undefined,
): StopPlan {
  const message = { ...structuredClone(received), buildId } as BuildMessage;
  delete message.token;
  const missing: string[] = [];
  for (const field of STOP_FIELDS_FROM_START) {
    if (message[field] !== undefined) continue;
    const fromStart =
      field === 'pipelineId' ? (start?.pipelineId ?? (start?.pipeline as { id?: unknown } | undefined)?.id) : start?.[field];
    if (fromStart !== undefined) message[field] = structuredClone(fromStart);
    else if (field === 'apiUri' && ecosystemApi) message.apiUri = ecosystemApi;
    else missing.push(field);
  }
  if (message.buildClusterName === undefined && start?.buildClusterName !== undefined)
    message.buildClusterName = start.buildClusterName;
  dropBadClusterName(message);
  return { message, missing };
}
