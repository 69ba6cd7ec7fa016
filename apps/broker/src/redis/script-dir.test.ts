import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOwnRedis, type OwnRedis } from '@buildcluster/testkit/redis-server';
import { ReplicasBehind, setReplicaWait } from './replica-wait.js';
import { scriptDir } from './script-dir.js';

/** Scripts run as EVALSHA, and send their source once when the server does not have them. */
describe('script folders', () => {
  let own: OwnRedis;
  let dir: string;
  beforeAll(async () => {
    own = await startOwnRedis();
    dir = mkdtempSync(join(tmpdir(), 'scripts-'));
    writeFileSync(join(dir, 'put-1.lua'), "redis.call('SET', KEYS[1], ARGV[1])\nreturn redis.call('GET', KEYS[1])");
    writeFileSync(join(dir, 'count-n.lua'), 'return #KEYS * 100 + #ARGV');
  });
  afterAll(() => {
    own?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const calls = async (redis: Redis, command: 'eval' | 'evalsha'): Promise<number> => {
    const stats = await redis.info('commandstats');
    return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
  };

  it('runs each script by its sha, loading it again after SCRIPT FLUSH', async () => {
    const redis = new Redis(own.url);
    try {
      const scripts = scriptDir<'put' | 'count'>(redis, pathToFileURL(`${dir}/`));
      await redis.script('FLUSH');
      expect(await scripts.put('k', 'one')).toBe('one');
      // The first call met NOSCRIPT and sent the source; the next ones go by sha alone.
      expect(await calls(redis, 'eval')).toBe(1);
      expect(await scripts.put('k', 'two')).toBe('two');
      expect(await calls(redis, 'eval')).toBe(1);
      expect(await calls(redis, 'evalsha')).toBe(2);
      // An array argument counts as its items.
      expect(await scripts.put(['k', 'two'])).toBe('two');
      expect(await calls(redis, 'evalsha')).toBe(3);
      // Each script is loaded on its own first call; `-n` scripts take the key count first.
      expect(await scripts.count(2, 'a', 'b', ['x', 'y', 'z'])).toBe(203);
      expect(await scripts.count(0, 'x')).toBe(1);
      expect(await calls(redis, 'eval')).toBe(2);
      expect(await calls(redis, 'evalsha')).toBe(5);
      await redis.script('FLUSH');
      expect(await scripts.put('k', 'three')).toBe('three');
      expect(await calls(redis, 'eval')).toBe(3);
    } finally {
      redis.disconnect();
    }
  });

  it('a script that waits for replicas sends its source too, and still counts the replicas', async () => {
    const redis = new Redis(own.url);
    try {
      setReplicaWait(redis, 1);
      const scripts = scriptDir<'put'>(redis, pathToFileURL(`${dir}/`));
      await redis.script('FLUSH');
      // No replica confirms, but the script ran: its source went in the retried pipeline.
      await expect(scripts.put('w', 'ran')).rejects.toBeInstanceOf(ReplicasBehind);
      expect(await redis.get('w')).toBe('ran');
    } finally {
      redis.disconnect();
    }
  }, 15_000);
});
