import { readFileSync, readdirSync } from 'node:fs';
import type { RedisClient } from './client.js';
import { helpersFor, parseLib } from './lua-lib.js';
import { replicaWait, waitingScript } from './replica-wait.js';

/**
 * Loads a folder of Lua scripts onto a Redis client with ioredis `defineCommand`, so each call is
 * one EVALSHA (ioredis sends the source once per connection). A file `name-<numKeys>.lua` becomes
 * the command `<prefix><name>` (`name-n.lua`: the caller passes the number of keys first); a
 * `_lib.lua` in the folder gives each script the helpers it uses (lua-lib.ts), and only those.
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
  const lib = files.includes('_lib.lua') ? parseLib(readFileSync(new URL('_lib.lua', dir), 'utf8')) : [];
  const sources = files
    .filter((file) => FILE.test(file))
    .map((file) => {
      const match = FILE.exec(file);
      if (!match?.[1] || !match[2]) throw new Error(`bad script file name ${file}`);
      const body = readFileSync(new URL(file, dir), 'utf8');
      const helpers = helpersFor(lib, body);
      return {
        name: match[1],
        numberOfKeys: match[2] === 'n' ? undefined : Number(match[2]),
        lua: helpers ? `${helpers}\n\n${body}` : body,
      };
    });
  sourcesByDir.set(dir.href, sources);
  return sources;
}

const defined = new WeakMap<RedisClient, Map<string, Record<string, ScriptCall>>>();

/**
 * The scripts of `dir` bound to a client (defined on it the first time), by file name without the key
 * count. With REDIS_WAIT_REPLICAS set on the client, each one but those in `unwaited` (reads, and
 * writes that need no replica's confirmation) also WAITs for the replicas; otherwise a call is the one EVALSHA.
 */
export function scriptDir<Name extends string>(
  redis: RedisClient,
  dir: URL,
  prefix: string,
  unwaited: readonly NoInfer<Name>[] = [],
): Record<Name, ScriptCall> {
  let perClient = defined.get(redis);
  if (!perClient) defined.set(redis, (perClient = new Map<string, Record<string, ScriptCall>>()));
  const known = perClient.get(dir.href);
  if (known) return known;
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
    const replicas = (unwaited as readonly string[]).includes(source.name) ? 0 : replicaWait(redis);
    table[source.name] = replicas > 0 ? waitingScript(redis, command, replicas) : call.bind(redis);
  }
  perClient.set(dir.href, table);
  return table;
}
