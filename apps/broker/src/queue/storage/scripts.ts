import type { RedisClient } from '../../redis/client.js';
import { scriptDir, type ScriptArg, type ScriptCall } from '../../redis/script-dir.js';

export type { ScriptArg, ScriptCall };

/** The queue's Lua scripts (lua/), as the commands `queue_<name>`; each gets the `_lib.lua` helpers it uses (redis/lua-lib.ts). */
const LUA_DIR = new URL('./lua/', import.meta.url);
const PREFIX = 'queue_';

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
  | 'upgrade';

export type Scripts = Record<ScriptName, ScriptCall>;

/** The queue scripts bound to a client (defined on it the first time). */
export function scriptsFor(redis: RedisClient): Scripts {
  return scriptDir<ScriptName>(redis, LUA_DIR, PREFIX, ['stats', 'status', 'detail']);
}
