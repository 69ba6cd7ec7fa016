import type { WorkerMetrics } from '../health/metrics.js';
import { BuildLifecycle } from '../executor/lifecycle.js';
import { loadExecutorModule, loadRouter } from '../executor/load.js';
import type { WorkerLog } from '../log.js';
import type { ExecutorModeConfig } from './run-config.js';
import { UsageError } from './usage.js';

/** Loads the executor plugins of `--executor` and answers the lifecycle that hands them each message. */
export async function executorLifecycle(mode: ExecutorModeConfig, log: WorkerLog, metrics: WorkerMetrics) {
  let executors;
  try {
    executors = mode.modulePath ? await loadExecutorModule(mode.modulePath, mode.config) : loadRouter(mode.config);
  } catch (err) {
    throw new UsageError(`--executor ${mode.spec}: ${(err as Error).message}`, 'run');
  }
  const ecosystemApi = typeof mode.config.ecosystem.api === 'string' ? mode.config.ecosystem.api : undefined;
  if (!mode.modulePath && !ecosystemApi) {
    log.warn('ecosystem.api is not set (ECOSYSTEM_API): build pods get no API URL from the executor');
  }
  const lifecycle = new BuildLifecycle({
    executors,
    log,
    metrics,
    startTimeoutMs: mode.startTimeoutMs,
    verifySoonMs: mode.verifySoonMs,
    ecosystemApi,
  });
  return { lifecycle, description: executors.description };
}
