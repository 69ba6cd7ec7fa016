import type { RedisClient } from '../../redis/client.js';
import { scriptDir, type ScriptArg, type ScriptCall } from '../../redis/script-dir.js';

export type { ScriptArg, ScriptCall };

/** The queue's Lua scripts (lua/); each gets the `_lib.lua` helpers it uses (redis/lua-lib.ts). */
const LUA_DIR = new URL('./lua/', import.meta.url);

export type ScriptName =
  | 'enqueue'
  | 'poll'
  | 'reap'
  | 'ack'
  | 'extend'
  | 'nack'
  | 'stop'
  | 'requeue'
  | 'stats'
  | 'status'
  | 'detail'
  | 'claim'
  | 'assign'
  | 'settle'
  | 'cancel-pending'
  | 'schedule'
  | 'retire'
  | 'lift'
  | 'repend'
  | 'upgrade'
  | 'mark'
  | 'renew'
  | 'unlock';

export type Scripts = Record<ScriptName, ScriptCall>;

/**
 * The queue scripts bound to a client. With REDIS_WAIT_REPLICAS, all
 * but these WAIT for the replicas: the reads, and the drain lock's and the assigning mark's scripts,
 * waited for no more than the plain commands beside them (BuildDirectory.lock, QueueStore.unmark).
 */
const UNWAITED: readonly ScriptName[] = ['stats', 'status', 'detail', 'mark', 'renew', 'unlock'];

export function scriptsFor(redis: RedisClient): Scripts {
  return scriptDir<ScriptName>(redis, LUA_DIR, UNWAITED);
}

/**
 * A script as a typed call: the keys and arguments it takes for an input, and what its reply reads
 * as. Every queue and directory script is called through one (runScript), so the order of KEYS and
 * ARGV stays beside the file's header and a caller never reads a raw reply. Each script has a fixed
 * key count: ioredis' auto-pipelining on a cluster routes a call by its first argument, a key.
 */
export interface ScriptSpec<In, Out> {
  script: ScriptName;
  keys(input: In): readonly string[];
  args(input: In): readonly ScriptArg[];
  decode(reply: unknown): Out;
}

/** Runs a script by its descriptor (keys and arguments go as two arrays, which ioredis flattens). */
export async function runScript<In, Out>(scripts: Scripts, spec: ScriptSpec<In, Out>, input: In): Promise<Out> {
  return spec.decode(await scripts[spec.script](spec.keys(input), spec.args(input)));
}
