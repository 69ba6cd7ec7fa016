import { readFileSync, readdirSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * Loads a folder of Lua scripts onto a Redis client with ioredis `defineCommand`, so each call is
 * one EVALSHA (ioredis sends the source once per connection). A file `name-<numKeys>.lua` becomes
 * the command `<prefix><name>` (`name-n.lua`: the caller passes the number of keys first); a
 * `_lib.lua` in the folder is prepended to each script.
 */
export type ScriptArg = string | number;
/** ioredis flattens an array argument (one level) into the command's arguments. */
export type ScriptCall = (...args: Array<ScriptArg | readonly ScriptArg[]>) => Promise<unknown>;

interface ScriptSource {
  name: string;
  numberOfKeys: number | undefined;
  lua: string;
}

const FILE = /^([a-z-]+)-(\d+|n)\.lua$/;
const sourcesByDir = new Map<string, ScriptSource[]>();

function loadSources(dir: URL): ScriptSource[] {
  const known = sourcesByDir.get(dir.href);
  if (known) return known;
  const files = readdirSync(dir);
  const lib = files.includes('_lib.lua') ? `${readFileSync(new URL('_lib.lua', dir), 'utf8')}\n` : '';
  const sources = files
    .filter((file) => FILE.test(file))
    .map((file) => {
      const match = FILE.exec(file);
      if (!match?.[1] || !match[2]) throw new Error(`bad script file name ${file}`);
      return {
        name: match[1],
        numberOfKeys: match[2] === 'n' ? undefined : Number(match[2]),
        lua: lib + readFileSync(new URL(file, dir), 'utf8'),
      };
    });
  sourcesByDir.set(dir.href, sources);
  return sources;
}

const defined = new WeakMap<Redis, Map<string, Record<string, ScriptCall>>>();

/** The scripts of `dir` bound to a client (defined on it the first time), by file name without the key count. */
export function scriptDir<Name extends string>(redis: Redis, dir: URL, prefix: string): Record<Name, ScriptCall> {
  let perClient = defined.get(redis);
  if (!perClient) defined.set(redis, (perClient = new Map()));
  const known = perClient.get(dir.href);
  if (known) return known as Record<Name, ScriptCall>;
  const table: Record<string, ScriptCall> = {};
  const commands = redis as unknown as Record<string, ScriptCall>;
  for (const source of loadSources(dir)) {
    const command = prefix + source.name.replace(/-/g, '_');
    redis.defineCommand(command, {
      ...(source.numberOfKeys === undefined ? {} : { numberOfKeys: source.numberOfKeys }),
      lua: source.lua,
    });
    const call = commands[command];
    if (!call) throw new Error(`script ${source.name} did not load`);
    table[source.name] = call.bind(redis);
  }
  perClient.set(dir.href, table);
  return table as Record<Name, ScriptCall>;
}
