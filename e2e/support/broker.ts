import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface E2EBroker {
  url: string;
  adminToken: string;
  sdapiToken: string;
  expiredToken: string;
  sdapiOnlyToken: string;
  /** scope viewer: sees everything, changes nothing */
  viewerToken: string;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Starts support/start-broker.ts in a child process and waits for its ready line. */
export async function startBroker(env: Record<string, string> = {}): Promise<E2EBroker> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'e2e/support/start-broker.ts'], {
    cwd: ROOT,
    env: { ...process.env, E2E_BROKER_ENV: JSON.stringify(env), TEST_LOG_LEVEL: process.env.E2E_BROKER_LOG_LEVEL ?? 'warn' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const ready = await new Promise<Omit<E2EBroker, 'stop'>>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error('the e2e broker did not start within 60 s')), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((l) => l.startsWith('{"url"'));
      if (!line) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as Omit<E2EBroker, 'stop'>);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the e2e broker exited with code ${code} before it was ready`));
    });
  });
  return { ...ready, stop: () => stop(child) };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
