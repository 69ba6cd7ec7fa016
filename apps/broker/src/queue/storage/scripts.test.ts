import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as directoryScripts from '../scheduling/directory-scripts.js';
import * as adminScripts from './admin-scripts.js';
import { bucketOf, queueKeys } from './keys.js';
import type { ScriptSpec } from './scripts.js';
import * as storeScripts from './store-scripts.js';

/** Every script of lua/ has one descriptor, whose keys match the file's key count and share a slot (but on one Redis only). */
const ONE_REDIS: readonly string[] = ['schedule', 'upgrade'];
const k = queueKeys('layout');
const buildId = 12345;
const release = storeScripts.release(k, 'layout', 5, 'wake');
const build = { k, queue: 'layout', cluster: 'c', buildId, message: '{}', wakeChannel: 'wake', keepMs: 1 };
const inputs: Record<string, unknown> = {
  scheduleSpec: { ...build, reason: '' },
  enqueueSpec: { ...build, mode: 'post', markMs: 0 },
  markSpec: { k, ms: 1 },
  pollSpec: {
    k,
    queue: 'layout',
    workerId: 'w',
    max: 1,
    pollId: 'p',
    leaseMs: 1,
    maxAttempts: 5,
    wakeChannel: 'wake',
    keepMs: 1,
    topUp: false,
  },
  reapSpec: { release, limit: 1, keepMs: 1 },
  ackSpec: { k, keepMs: 1, leaseIds: ['l'] },
  extendSpec: { k, leaseMs: 1, leaseIds: ['l'] },
  nackSpec: { release, keepMs: 1, reason: '', leaseIds: ['l'] },
  stopSpec: build,
  requeueSpec: build,
  statsSpec: { k },
  statusSpec: { k, buildId },
  detailSpec: { k, limit: 1 },
  retireSpec: { k, token: 't' },
  liftSpec: { k, token: 't' },
  claimSpec: { buildId, queue: 'q', cluster: 'c', message: '{}', reason: '', arrival: 1 },
  cancelPendingSpec: { buildId, keepMs: 1 },
  assignSpec: { buildId, queue: 'q', cluster: 'c' },
  rependSpec: { buildId, queue: 'q', message: '{}', reason: '', from: 'claims', arrival: 1 },
  settleSpec: { bucket: bucketOf(buildId), from: 'assigning', buildIds: [buildId] },
  upgradeSpec: { buildId },
  renewSpec: { token: 't', ttlMs: 1 },
  unlockSpec: { token: 't' },
};

const isSpec = (value: unknown): value is ScriptSpec<unknown, unknown> =>
  typeof value === 'object' && value !== null && 'script' in value && 'decode' in value;
const specs = Object.entries({ ...storeScripts, ...adminScripts, ...directoryScripts }).filter(
  (entry): entry is [string, ScriptSpec<unknown, unknown>] => isSpec(entry[1]),
);

/** Redis Cluster's key slot (CRC16/XMODEM of the hash tag, mod 16384). */
function slot(key: string): number {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  let crc = 0;
  for (const byte of Buffer.from(close > open + 1 ? key.slice(open + 1, close) : key)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe('script descriptors', () => {
  it('one for each script file, with its key count, in one slot', () => {
    const files = readdirSync(new URL('./lua/', import.meta.url)).filter((f) => /^[a-z-]+-\d+\.lua$/.test(f));
    const byName = new Map(files.map((f) => [f.replace(/-\d+\.lua$/, ''), Number(/-(\d+)\.lua$/.exec(f)?.[1])]));
    expect(specs.map(([, spec]) => spec.script).sort()).toEqual([...byName.keys()].sort());
    for (const [name, spec] of specs) {
      expect(inputs, name).toHaveProperty(name);
      const keys = spec.keys(inputs[name]);
      expect(keys, name).toHaveLength(byName.get(spec.script) ?? -1);
      if (!ONE_REDIS.includes(spec.script)) expect(new Set(keys.map(slot)).size, name).toBe(1);
    }
  });
});
