/** Config every peer role gets. */
export interface PeerConfig {
  redisUrl: string;
  jobs: number;
  /** producer: concurrent adds; consumer: concurrency / max task processors */
  concurrency: number;
  queue: string;
}
