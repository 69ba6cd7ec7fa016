import type { QueueStats } from '@buildcluster/protocol';
import type { QueueAdmin } from './admin.js';
import type { BuildEvents } from './events.js';
import type { PendingDrainer } from './pending.js';
import type { Scheduler } from './scheduler.js';
import type { WorkerProtocol } from './worker-protocol.js';

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
  /** Pending builds; `request()` assigns what can be. */
  pending: PendingDrainer;
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
