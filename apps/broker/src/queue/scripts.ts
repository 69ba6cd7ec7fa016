import { readFileSync, readdirSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * Loads the Lua scripts of lua/ once per Redis client with ioredis `defineCommand`, so each call
 * is a single EVALSHA (ioredis sends the source once per connection). A file `name-<numKeys>.lua`
 * becomes the command `queue_<name>` (`name-n.lua`: the caller passes the number of keys first);
 * `_lib.lua` is prepended to each of them.
 */
const LUA_DIR = new URL('./lua/', import.meta.url);
const PREFIX = 'queue_';

export type ScriptArg = string | number;
/** ioredis flattens an array argument (one level) into the command's arguments. */
export type ScriptCall = (...args: Array<ScriptArg | readonly ScriptArg[]>) => Promise<unknown>;

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
  | 'forget'
  | 'schedule'
  | 'retire'
  | 'lift'
  | 'repend';

export type Scripts = Record<ScriptName, ScriptCall>;

interface ScriptSource {
  name: string;
  numberOfKeys: number | undefined;
  lua: string;
}

let sources: ScriptSource[] | null = null;

function loadSources(): ScriptSource[] {
  if (sources) return sources;
  const lib = readFileSync(new URL('_lib.lua', LUA_DIR), 'utf8');
  sources = readdirSync(LUA_DIR)
    .filter((file) => /^[a-z-]+-(\d+|n)\.lua$/.test(file))
    .map((file) => {
      const match = /^([a-z-]+)-(\d+|n)\.lua$/.exec(file);
      if (!match?.[1] || !match[2]) throw new Error(`bad script file name ${file}`);
      return {
        name: match[1],
        numberOfKeys: match[2] === 'n' ? undefined : Number(match[2]),
        lua: `${lib}\n${readFileSync(new URL(file, LUA_DIR), 'utf8')}`,
      };
    });
  return sources;
}

const defined = new WeakMap<Redis, Scripts>();

/** The queue scripts bound to a client (defined on it the first time). */
export function scriptsFor(redis: Redis): Scripts {
  const known = defined.get(redis);
  if (known) return known;
  const table: Partial<Scripts> = {};
  const commands = redis as unknown as Record<string, ScriptCall>;
  for (const source of loadSources()) {
    const command = PREFIX + source.name.replace(/-/g, '_');
    redis.defineCommand(command, {
      ...(source.numberOfKeys === undefined ? {} : { numberOfKeys: source.numberOfKeys }),
      lua: source.lua,
    });
    const call = commands[command];
    if (!call) throw new Error(`script ${source.name} did not load`);
    table[source.name as ScriptName] = call.bind(redis);
  }
  const scripts = table as Scripts;
  defined.set(redis, scripts);
  return scripts;
}
