import type { BuildMessage, SdExecutor } from './types.js';

/** executor-k8s's own pod lookup: GET its pods URL with `labelSelector=sdbuild=<prefix><buildId>`. */
interface PodLister {
  getPods(buildId: number): Promise<unknown[]>;
}

function listsPods(executor: object): executor is PodLister {
  return typeof (executor as Partial<PodLister>).getPods === 'function';
}

/**
 * The "does this build already have a pod/container?" check for one executor, or null when it
 * cannot tell. A plugin's own `hasBuild` wins. For screwdriver-executor-k8s the worker asks its
 * `getPods`, which makes the request the plugin itself makes for `verify` (its API host, service
 * account token, namespace, and the `sdbuild` label it puts on every build pod), so the check
 * sees exactly the pods that plugin creates.
 */
export function hasBuildCheck(executor: SdExecutor): ((message: BuildMessage) => Promise<boolean>) | null {
  if (typeof executor.hasBuild === 'function') return (message) => executor.hasBuild!(message);
  if (listsPods(executor)) return async (message) => (await executor.getPods(message.buildId)).length > 0;
  return null;
}
