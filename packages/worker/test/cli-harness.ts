import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestBroker } from './broker.js';
import { waitFor } from './tiny-server.js';
import { freePort } from '@buildcluster/testkit/sockets';

/** The CLI exactly as users run it: bin/buildcluster-worker.js → dist/cli.js (built by global-setup). */
export const BIN = fileURLToPath(new URL('../bin/buildcluster-worker.js', import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

const children = new Set<ChildProcess>();

export function startCli(args: string[], env: Record<string, string> = {}, cwd?: string): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStderr: (pattern, timeoutMs = 30_000) =>
      waitFor(
        () => pattern.test(err),
        timeoutMs,
        () => `stderr to match ${pattern}\n--- stderr so far:\n${err}`,
      ),
  };
}

/** A local port nothing listens on (it was free a moment ago), for "the broker is down". */
export const closedPort: () => Promise<number> = freePort;

/** Runs the CLI to completion. */
export async function runCli(args: string[], cwd?: string) {
  const cli = startCli(args, {}, cwd);
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** SIGKILLs every CLI still running and every build command a test left behind (they run in their own process groups). */
export async function killAll(commandDirs: string[] = []): Promise<void> {
  for (const child of children) child.kill('SIGKILL');
  await waitFor(() => children.size === 0, 10_000, 'the CLI processes to exit');
  for (const dir of commandDirs) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.pid'))) {
      const pid = Number(readFileSync(join(dir, file), 'utf8').trim());
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already finished.
      }
    }
  }
}

export const SCM_CONTEXT = 'github:github.com';
export const ORG = 'test-org';

export interface RegisteredCluster {
  name: string;
  dir: string;
  keyFile: string;
  signOptionFile: string;
  body: Record<string, unknown>;
}

/**
 * keygen (the real CLI) → fill the placeholders → PUT /v4/buildClusters, the way the README tells
 * a cluster admin to do it. `expiresIn` shortens the token lifetime in both the file and the registration.
 */
export async function keygenAndRegister(
  broker: TestBroker,
  name: string,
  options: { expiresIn?: number } = {},
): Promise<RegisteredCluster> {
  const dir = mkdtempSync(join(tmpdir(), `bcw-${name}-`));
  const keygen = await runCli(['keygen', '--cluster', name, '--out', dir]);
  if (keygen.code !== 0) throw new Error(`keygen failed (${keygen.code}): ${keygen.stderr}`);
  const body = JSON.parse(keygen.stdout) as Record<string, unknown> & { signOption: Record<string, unknown> };
  Object.assign(body, { scmOrganization: ORG, scmContext: SCM_CONTEXT, managedBy: 'external' });
  const signOptionFile = join(dir, `${name}.sign-option.json`);
  if (options.expiresIn !== undefined) {
    body.signOption.expiresIn = options.expiresIn;
    writeFileSync(signOptionFile, JSON.stringify(body.signOption));
  }
  const res = await api(broker, 'PUT', '/v4/buildClusters', broker.adminToken, body);
  if (res.status !== 201) throw new Error(`registering ${name} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { name, dir, keyFile: join(dir, `${name}.key.pem`), signOptionFile, body };
}

export async function api(broker: TestBroker, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${broker.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

/** Screwdriver's start message for a build routed to `cluster`. */
export function startMessage(buildId: number, cluster: string): Record<string, unknown> {
  return {
    buildId,
    jobId: 1000 + buildId,
    eventId: 2000 + buildId,
    pipelineId: 42,
    jobName: `job-${buildId}`,
    annotations: {},
    blockedBy: [1000 + buildId],
    pipeline: { id: 42, name: `${ORG}/repo`, scmContext: SCM_CONTEXT },
    apiUri: 'https://api.screwdriver.example',
    container: 'node:20',
    isPR: false,
    prNum: null,
    buildClusterName: cluster,
    extraField: { kept: true },
  };
}

export async function enqueue(broker: TestBroker, buildId: number, cluster: string): Promise<Record<string, unknown>> {
  const message = startMessage(buildId, cluster);
  const res = await api(broker, 'POST', '/v1/queue/message', broker.sdapiToken, message);
  if (res.status !== 201) throw new Error(`enqueue ${buildId} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return message;
}

export async function buildState(broker: TestBroker, buildId: number): Promise<string | undefined> {
  const res = await api(broker, 'GET', `/v4/builds/${buildId}`, broker.adminToken);
  return res.status === 200 ? (res.body?.state as string) : `HTTP ${res.status}`;
}

/** Waits until every build is in `state`, asking the broker. */
export async function waitForState(broker: TestBroker, buildIds: number[], state: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const id of buildIds) {
    for (;;) {
      const now = await buildState(broker, id);
      if (now === state) break;
      if (Date.now() > deadline) throw new Error(`build ${id} is ${now}, expected ${state}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * The --exec command of the tests: records what it saw (stdin and environment) in DIR, one file
 * per delivery, named BUILD_ID-MESSAGE_TYPE-BUILD_ATTEMPT.json. `before` runs first (e.g. a sleep).
 */
export function recordingCommand(dir: string, before = ''): string {
  const record =
    `printf '{"env":{"BUILD_ID":"%s","MESSAGE_TYPE":"%s","BUILD_ATTEMPT":"%s","BUILD_CLUSTER":"%s","WORKER_ID":"%s"},"stdin":%s}' ` +
    `"$BUILD_ID" "$MESSAGE_TYPE" "$BUILD_ATTEMPT" "$BUILD_CLUSTER" "$WORKER_ID" "$(cat)" > "${dir}/$BUILD_ID-$MESSAGE_TYPE-$BUILD_ATTEMPT.tmp" ` +
    `&& mv "${dir}/$BUILD_ID-$MESSAGE_TYPE-$BUILD_ATTEMPT.tmp" "${dir}/$BUILD_ID-$MESSAGE_TYPE-$BUILD_ATTEMPT.json"`;
  return `echo $$ > "${dir}/$BUILD_ID-$WORKER_ID.pid"; ${before ? `${before}; ` : ''}${record}`;
}

export interface Recorded {
  env: Record<string, string>;
  stdin: Record<string, unknown>;
}

export function recorded(dir: string): Map<string, Recorded> {
  const seen = new Map<string, Recorded>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && /^\d+-/.test(f))) {
    seen.set(file.replace(/\.json$/, ''), JSON.parse(readFileSync(join(dir, file), 'utf8')) as Recorded);
  }
  return seen;
}

/** `run` with the flags that name the broker (by URL) and the cluster's identity; the caller adds how builds are launched. */
export function connectArgs(brokerUrl: string, cluster: RegisteredCluster): string[] {
  return [
    'run',
    '--broker',
    brokerUrl,
    '--cluster',
    cluster.name,
    '--key',
    cluster.keyFile,
    '--sign-option',
    cluster.signOptionFile,
  ];
}

export function runArgs(broker: TestBroker, cluster: RegisteredCluster, command: string, extra: string[] = []): string[] {
  return [...connectArgs(broker.url, cluster), '--exec', command, ...extra];
}
