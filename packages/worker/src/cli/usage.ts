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
  buildcluster-worker run --broker URL --cluster NAME --key FILE --sign-option FILE --exec "CMD"
                          [--concurrency N] [--worker-id ID]

Commands:
  keygen   create the cluster's key pair and sign option, and print the body that registers it
  run      poll the broker for the cluster's builds and run CMD once per message

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

export const RUN_HELP = `Usage: buildcluster-worker run --broker URL --cluster NAME --key FILE --sign-option FILE --exec "CMD"
                              [--concurrency N] [--worker-id ID]

Long-polls the broker for the cluster's builds and runs CMD (with /bin/sh -c) once per message:
  stdin     the message as JSON (Screwdriver's start message, or {buildId, ...} for a stop)
  env       BUILD_ID, MESSAGE_TYPE (start or stop), BUILD_ATTEMPT, BUILD_CLUSTER, WORKER_ID,
            plus the worker's own environment
  exit 0    the message is acked (done)
  other     the message is nacked and delivered again (to any worker), up to the broker's limit
The lease is extended while CMD runs. SIGTERM or SIGINT: stop polling, let running commands
finish and ack them, exit 0. A second SIGTERM/SIGINT stops running commands (SIGTERM to their
process group), nacks them and exits 1.

Flags (each may also come from the environment variable named on the right):
  --broker URL          the broker's base URL                         BUILDCLUSTER_BROKER_URL
  --cluster NAME        the registered cluster name                   BUILDCLUSTER_CLUSTER
  --key FILE            the cluster's private key (PEM)               BUILDCLUSTER_KEY_FILE
                        (or the PEM text itself in                    BUILDCLUSTER_PRIVATE_KEY)
  --sign-option FILE    the sign option JSON from keygen              BUILDCLUSTER_SIGN_OPTION_FILE
                        (or the JSON text itself in                   BUILDCLUSTER_SIGN_OPTION)
  --exec "CMD"          the command to run per message                BUILDCLUSTER_EXEC
  --concurrency N       messages run at the same time, 1-100 (1)      BUILDCLUSTER_CONCURRENCY
  --worker-id ID        this worker's name (host name and pid)        BUILDCLUSTER_WORKER_ID
  -h, --help            show this help
Tuning (environment only):
  BUILDCLUSTER_POLL_WAIT_MS   how long one poll waits on the broker, 0-30000 (20000)

Exit codes: 0 stopped by SIGTERM/SIGINT; 1 forced stop or a fault; 2 bad flags or unreadable files.
`;
