/** Bad command-line input: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export const MAIN_HELP = `buildcluster-worker: brings a build cluster to the build cluster broker

Usage:
  buildcluster-worker keygen --cluster NAME [--algorithm ES256|RS256] [--out DIR]
  buildcluster-worker run --broker URL --cluster NAME --key FILE --sign-option FILE
                          (--exec "CMD" | --executor NAME|PATH [--executor-config FILE])
                          [--concurrency N] [--worker-id ID] [--health-port PORT]

Commands:
  keygen   create the cluster's key pair and sign option, and print the body that registers it
  run      poll the broker for the cluster's builds and run CMD once per message, or hand each
           message to Screwdriver's executor plugins (k8s, k8s-vm, docker) in the worker

Run "buildcluster-worker <command> --help" for a command's flags.
`;

export const KEYGEN_HELP = `Usage: buildcluster-worker keygen --cluster NAME [--algorithm ES256|RS256] [--out DIR]

Creates a key pair for the cluster's worker tokens and writes, into DIR:
  NAME.key.pem           the private key (mode 0600; keep it secret, it stays on the cluster)
  NAME.pub.pem           the public key (goes to the broker)
  NAME.sign-option.json  the claims and lifetime of the worker's tokens
and prints on stdout the JSON body for PUT /v4/buildClusters. Replace its <REPLACE: ...>
values (scmOrganization, scmContext, managedBy) before sending it. Existing files are never
overwritten.

Flags:
  --cluster NAME      cluster name: letters, digits, . _ - (up to 100 characters)   (required)
  --algorithm ALG     ES256 (default) or RS256
  --out DIR           where to write the files (default: the current directory)
  -h, --help          show this help
`;

export const RUN_HELP = `Usage: buildcluster-worker run --broker URL --cluster NAME --key FILE --sign-option FILE
                              (--exec "CMD" | --executor NAME|PATH [--executor-config FILE])
                              [--concurrency N] [--worker-id ID] [--health-port PORT]

Long-polls the broker for the cluster's builds and runs each message in one of two modes.

Command mode (--exec): runs CMD with /bin/sh -c once per message:
  stdin     the message as JSON (Screwdriver's start message, or {buildId, ...} for a stop)
  env       BUILD_ID, MESSAGE_TYPE (start or stop), BUILD_ATTEMPT, BUILD_CLUSTER, WORKER_ID,
            plus the worker's own environment
  exit 0    the message is acked (done)
  other     the message is nacked and delivered again (to any worker), up to the broker's limit
The lease is extended while CMD runs.

Executor mode (--executor): Screwdriver's executor plugins start and stop the builds, as in
buildcluster-queue-worker. NAME is an executor of the config (k8s, k8s-vm, docker, ...), loaded
through screwdriver-executor-router; PATH is a module exporting an executor class. FILE is
buildcluster-queue-worker's executor config (YAML or JSON), and its environment variables
(EXECUTOR_PLUGIN, K8S_*, LAUNCH_VERSION, ECOSYSTEM_*, ...) apply over it. A start is acked once
the executor accepted it; a 403/404 from the backend, or the last attempt, reports FAILURE to
Screwdriver; a redelivered start never makes a second pod; a stop runs after its start; a build
not running after --start-timeout is failed with the executor's reason.

SIGTERM or SIGINT: stop polling, let running messages finish and ack them, exit 0 (a second
signal within 1 s is the same stop). A later one stops running commands (SIGTERM to their
process group), nacks them and exits 1.

Flags (each may also come from the environment variable named on the right):
  --broker URL            the broker's base URL                          BUILDCLUSTER_BROKER_URL
  --cluster NAME          the registered cluster name                    BUILDCLUSTER_CLUSTER
  --key FILE              the cluster's private key (PEM)                BUILDCLUSTER_KEY_FILE
                          (or the PEM text itself in                     BUILDCLUSTER_PRIVATE_KEY)
  --sign-option FILE      the sign option JSON from keygen               BUILDCLUSTER_SIGN_OPTION_FILE
                          (or the JSON text itself in                    BUILDCLUSTER_SIGN_OPTION)
  --exec "CMD"            the command to run per message                 BUILDCLUSTER_EXEC
  --executor NAME|PATH    the executor to run builds with                BUILDCLUSTER_EXECUTOR
  --executor-config FILE  the executors' config (YAML or JSON)           BUILDCLUSTER_EXECUTOR_CONFIG
  --start-timeout S       seconds a started build may take to run (300)  BUILDCLUSTER_START_TIMEOUT
  --concurrency N         messages at the same time, 1-100               BUILDCLUSTER_CONCURRENCY
                          (1 with --exec, 10 with --executor)
  --worker-id ID          this worker's name (host name and pid)         BUILDCLUSTER_WORKER_ID
  --health-port PORT      serve /health and /metrics on PORT             BUILDCLUSTER_HEALTH_PORT
  -h, --help              show this help
Tuning (environment only):
  BUILDCLUSTER_POLL_WAIT_MS     how long one poll waits on the broker, 0-30000 (20000)
  BUILDCLUSTER_HEALTH_HOST      the address /health listens on (0.0.0.0)
  BUILDCLUSTER_VERIFY_SOON_MS   first look at a start the executor says is not running yet (15000)

Exit codes: 0 stopped by SIGTERM/SIGINT; 1 forced stop or a fault; 2 bad flags or unreadable files.
`;
