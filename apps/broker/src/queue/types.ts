import type { QueueStats } from '@buildcluster/protocol';
import type { QueueAdmin } from './admin/admin.js';
import type { BuildEvents } from './events.js';
import type { Pauses } from './admin/pauses.js';
import type { BuildRecords } from './storage/build-record.js';
import type { QueueInspection } from './storage/inspection.js';
import type { PollOutcome } from './storage/replies.js';
import type { Scheduler } from './scheduling/scheduler.js';
import type { QueueRef, WorkerProtocol } from './protocol/worker-protocol.js';

/** What the queue module offers the rest of the broker (`app.queue`). */
export interface QueueModule {
  /** Screwdriver's side: schedule, stop, build status. */
  scheduler: Scheduler;
  /** The workers' side: poll, ack, extend, nack. */
  worker: WorkerProtocol;
  /** Queue administration and figures. */
  admin: QueueAdmin;
  /** Build state changes made by this replica (`onChange`), and the live view's feed. */
  events: BuildEvents;
  /** Paused dispatch per queue. */
  pauses: Pauses;
  /** Reads of the builds' records in their queues (run times, lease holders), typed. */
  records: BuildRecords;
  /** A queue's unacked deliveries, live leases and old dead letters (the console's reads and purge). */
  inspection: QueueInspection;
  /** Hook for what watches deliveries (the console); unset, nothing is done. */
  onDelivered?: (ref: QueueRef, workerId: string, outcome: PollOutcome) => void;
  /** Hook for what watches acks and nacks (the console): the leases each one settled. */
  onSettled?: (ref: QueueRef, leaseIds: string[], acked: boolean) => void;
  /** Every queue's stats and the pending count: for the live view's snapshot. */
  snapshot(): Promise<{ queues: QueueStats[]; pending: number }>;
  /** Polls waiting for work on this replica now. */
  waitingPolls(): number;
}

declare module 'fastify' {
  interface FastifyInstance {
    queue: QueueModule;
  }
}
