export { WorkerClient, defaultWorkerId, WORKER_ID_PATTERN, type WorkerClientOptions, type PollOptions } from './client.js';
export {
  Worker,
  type WorkerOptions,
  type WorkerObserver,
  type JobHandler,
  type JobContext,
  type JobAbortReason,
} from './worker.js';
export { ClusterTokenSource, type ClusterTokenOptions, type ClusterToken } from './token.js';
export { LeaseKeeper, type LeaseKeeperEvents } from './lease-keeper.js';
export { Backoff, sleep, type BackoffOptions } from './backoff.js';
export { BrokerClock } from './clock.js';
export { BrokerHttpError, BrokerUnreachableError, AbortedError, isRetryable } from './errors.js';
export { describeError } from './describe-error.js';
export {
  generateClusterKeys,
  registrationBody,
  KEYGEN_ALGORITHMS,
  DEFAULT_TOKEN_SECONDS,
  type ClusterKeys,
  type KeygenAlgorithm,
} from './keygen.js';
export { parseSignOption } from './sign-option.js';
export { runCommand, type CommandOptions, type CommandResult } from './command-runner.js';
export { lineLog, silentLog, type WorkerLog } from './log.js';
export type { Job, PollResult, AckResult, ExtendResult, NackResult, SignOption } from '@buildcluster/protocol';
export { BuildLifecycle, type LifecycleOptions } from './executor/lifecycle.js';
export { loadExecutorConfig, type ExecutorConfig, type ExecutorEntry } from './executor/config.js';
export { loadRouter, loadExecutorModule } from './executor/load.js';
export type { SdExecutor, ExecutorSet, NamedExecutor, BuildMessage } from './executor/types.js';
export { WorkerMetrics } from './health/metrics.js';
export { BrokerHealth } from './health/health-state.js';
export { startHealthServer } from './health/health-server.js';
