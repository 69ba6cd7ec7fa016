import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

function findRedisServer(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

/** Installs Debian's redis-server when we are root on a Debian-like machine; otherwise explains how. */
function installRedisServer(log: (line: string) => void): string {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
  if (!isRoot || !hasApt) {
    throw new Error(
      'redis-server is not installed. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis) ' +
        'or point REDIS_URL at a Redis 7 server.',
    );
  }
  log('installing Debian package redis-server (apt-get)…');
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', 'redis-server'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const path = findRedisServer();
  if (update.status !== 0 || install.status !== 0 || !path)
    throw new Error('could not install redis-server with apt-get; install it by hand or set REDIS_URL');
  return path;
}

/**
 * A Redis of the quick start's own on `port`, keeping its data (append-only file) in `dir` so queues
 * survive a restart, synced on every write (appendfsync always, as the README recommends). Reuses one
 * already answering on that port.
 */
export async function startLocalRedis(
  dir: string,
  port: number,
  log: (line: string) => void,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const url = `redis://127.0.0.1:${port}`;
  if (await answers(url)) {
    log(`using the Redis already running on ${url}`);
    return { url, stop: async () => {} };
  }
  const binary = findRedisServer() ?? installRedisServer(log);
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--daemonize',
      'no',
    ],
    // Its own process group: Ctrl-C reaches the quickstart only, which stops the demo's worker and
    // the broker first and Redis last, instead of Redis dying under them.
    { stdio: 'ignore', detached: true },
  );
  // However the quickstart ends (an error, process.exit), no redis-server is left behind.
  const orphanGuard = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.once('exit', orphanGuard);
  for (let i = 0; i < 100; i++) {
    if (await answers(url)) {
      return {
        url,
        stop: async () => {
          child.kill('SIGTERM');
          await new Promise((resolve) => child.once('exit', resolve));
        },
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on port ${port} (is the port taken by something else?)`);
}
