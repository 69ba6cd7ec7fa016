/*
 * The environment variables buildcluster-queue-worker reads (its node-config
 * custom-environment-variables), so a Helm chart's values carry over unchanged. Each maps to a
 * path in the executor config; `json` ones are parsed. Values stay strings otherwise, as
 * node-config leaves them, because the plugins expect exactly that (`'true'`, `'2'`).
 */

type Entry = readonly [path: string, variable: string, json?: 'json'];

/** Options every Kubernetes executor reads, under `<name>.options`. */
const K8S_COMMON: readonly Entry[] = [
  ['kubernetes.host', 'K8S_HOST'],
  ['kubernetes.privileged', 'K8S_SECURITYCONTEXT_PRIVILEGED'],
  ['kubernetes.token', 'K8S_TOKEN'],
  ['kubernetes.jobsNamespace', 'K8S_JOBS_NAMESPACE'],
  ...['micro', 'low', 'high', 'turbo', 'max'].flatMap((size): Entry[] => [
    [`kubernetes.resources.cpu.${size}`, `K8S_CPU_${size.toUpperCase()}`],
    [`kubernetes.resources.memory.${size}`, `K8S_MEMORY_${size.toUpperCase()}`],
  ]),
  ['kubernetes.terminationGracePeriodSeconds', 'TERMINATION_GRACE_PERIOD_SECONDS'],
  ['kubernetes.podLabels', 'K8S_POD_LABELS', 'json'],
  ['launchImage', 'LAUNCH_IMAGE'],
  ['launchVersion', 'LAUNCH_VERSION'],
  ['prefix', 'EXECUTOR_PREFIX'],
  ['fusebox.breaker.timeout', 'CIRCUIT_TIMEOUT'],
  ['requestretry.retryDelay', 'REQUEST_RETRYDELAY'],
  ['requestretry.maxAttempts', 'REQUEST_MAXATTEMPTS'],
  ['sdHabEnabled', 'SD_HAB_ENABLED'],
];

/** Pod options of the container executors (k8s and its sandbox variant). */
const K8S_PODS: readonly Entry[] = [
  ['kubernetes.serviceAccount', 'K8S_SERVICE_ACCOUNT_NAME'],
  ['kubernetes.automountServiceAccountToken', 'K8S_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN'],
  ['kubernetes.dockerFeatureEnabled', 'DOCKER_FEATURE_ENABLED'],
  ['kubernetes.buildTimeout', 'K8S_BUILD_TIMEOUT'],
  ['kubernetes.maxBuildTimeout', 'K8S_MAX_BUILD_TIMEOUT'],
  ['kubernetes.lifecycleHooks', 'K8S_LIFECYCLE_HOOKS', 'json'],
  ['kubernetes.annotations', 'K8S_ANNOTATIONS', 'json'],
  ['kubernetes.runtimeClass', 'K8S_RUNTIME_CLASS'],
  ['kubernetes.imagePullSecretName', 'K8S_IMAGE_PULL_SECRET_NAME'],
  ['kubernetes.volumeMounts', 'K8S_VOLUME_MOUNTS', 'json'],
  ['kubernetes.podStatusQueryDelay', 'K8S_POD_STATUSQUERY_DELAY'],
];

const options = (entries: readonly Entry[]): Entry[] => entries.map(([path, v, j]) => [`options.${path}`, v, j] as Entry);

/** Per executor name: its variables, relative to its entry in the executor config. */
export const EXECUTOR_VARIABLES: Record<string, readonly Entry[]> = {
  k8s: [
    ['weightage', 'WEIGHT_K8S'],
    ['exclusion', 'K8S_EXECUTOR_EXCLUSION', 'json'],
    ...options([
      ...K8S_COMMON,
      ...K8S_PODS,
      ['kubernetes.dnsPolicy', 'K8S_POD_DNS_POLICY'],
      ['kubernetes.imagePullPolicy', 'K8S_POD_IMAGE_PULL_POLICY'],
      ['kubernetes.nodeSelectors', 'K8S_NODE_SELECTORS', 'json'],
      ['kubernetes.preferredNodeSelectors', 'K8S_PREFERRED_NODE_SELECTORS', 'json'],
      ['kubernetes.buildSecrets', 'K8S_SECRETS', 'json'],
      ['kubernetes.buildSecretsFile', 'K8S_SECRETS_FILE', 'json'],
    ]),
  ],
  'k8s-sandbox': options([
    ...K8S_COMMON,
    ...K8S_PODS,
    ['kubernetes.nodeSelectors', 'K8S_SANDBOX_NODE_SELECTORS', 'json'],
    ['kubernetes.preferredNodeSelectors', 'K8S_SANDBOX_PREFERRED_NODE_SELECTORS', 'json'],
  ]),
  'k8s-vm': [
    ['weightage', 'WEIGHT_K8S_VM'],
    ...options([
      ...K8S_COMMON,
      ['kubernetes.baseImage', 'K8S_BASE_IMAGE'],
      ['kubernetes.resources.disk.space', 'K8S_DISK_LABEL'],
      ['kubernetes.resources.disk.speed', 'K8S_DISK_SPEED_LABEL'],
      ['kubernetes.buildTimeout', 'K8S_VM_BUILD_TIMEOUT'],
      ['kubernetes.maxBuildTimeout', 'K8S_VM_MAX_BUILD_TIMEOUT'],
      ['kubernetes.nodeSelectors', 'K8S_VM_NODE_SELECTORS', 'json'],
      ['kubernetes.preferredNodeSelectors', 'K8S_VM_PREFERRED_NODE_SELECTORS', 'json'],
    ]),
  ],
};

export const ECOSYSTEM_VARIABLES: readonly Entry[] = [
  ['ui', 'ECOSYSTEM_UI'],
  ['api', 'ECOSYSTEM_API'],
  ['store', 'ECOSYSTEM_STORE'],
  ['pushgatewayUrl', 'ECOSYSTEM_PUSHGATEWAY_URL'],
  ['cache.strategy', 'CACHE_STRATEGY'],
  ['cache.path', 'CACHE_PATH'],
  ['cache.compress', 'CACHE_COMPRESS'],
  ['cache.md5check', 'CACHE_MD5CHECK'],
  ['cache.max_size_mb', 'CACHE_MAX_SIZE_MB'],
  ['cache.max_go_threads', 'CACHE_MAX_GO_THREADS'],
];

export type ConfigObject = Record<string, unknown>;
type Env = Record<string, string | undefined>;

/**
 * Writes each set, non-empty variable of `entries` into `target` at its path. Answers the names
 * used, for the startup log. A `json` variable that does not parse is an error naming it.
 */
export function applyVariables(target: ConfigObject, entries: readonly Entry[], env: Env): string[] {
  const used: string[] = [];
  for (const [path, variable, format] of entries) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (format === 'json') {
      try {
        value = JSON.parse(raw);
      } catch (err) {
        throw new Error(`${variable} is not valid JSON (${(err as Error).message})`);
      }
    }
    setPath(target, path.split('.'), value);
    used.push(variable);
  }
  return used;
}

function setPath(target: ConfigObject, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as ConfigObject;
  }
  node[keys[keys.length - 1]!] = value;
}
