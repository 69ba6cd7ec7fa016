/** Config every peer role gets. */
export interface PeerConfig {
  redisUrl: string;
  jobs: number;
  /** jobs sent and taken before the measurement starts (connections, JIT, worker ramp-up) */
  warmup: number;
  /** producer: concurrent adds; consumer: concurrency / max task processors */
  concurrency: number;
  queue: string;
}
