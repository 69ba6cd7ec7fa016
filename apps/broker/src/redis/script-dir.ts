import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import type { RedisClient } from './client.js';
import { helpersFor, parseLib } from './lua-lib.js';
import { replicaWait, waitingScript } from './replica-wait.js';
import { isNoScript, scriptArgs, type ScriptArg, type ScriptCall, type ScriptSource } from './script-source.js';

/**
 * Runs a folder of Lua scripts on a Redis client, each call one EVALSHA (the source goes once, as
 * an EVAL, when the server answers NOSCRIPT: a new connection, a restarted or failed-over Redis). A
 * file `name-<numKeys>.lua` becomes the script `name` (`name-n.lua`: the caller passes the number of
 * keys first); a `_lib.lua` in the folder gives each script the helpers it uses (lua-lib.ts), and
 * only those. Scripts are not defined on the client (ioredis `defineCommand`): ioredis copies every
 * defined command onto each pipeline it creates, one per event-loop turn with auto-pipelining, and
 * with some forty scripts that copy was a large part of the broker's garbage.
 */
export type { ScriptArg, ScriptCall } from './script-source.js';

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
      const lua = helpers ? `${helpers}\n\n${body}` : body;
      return {
        name: match[1],
        numberOfKeys: match[2] === 'n' ? undefined : Number(match[2]),
        lua,
        sha: createHash('sha1').update(lua).digest('hex'),
      };
    });
  sourcesByDir.set(dir.href, sources);
  return sources;
}

/** One script as a call: EVALSHA, and EVAL once when the server lacks it. */
function scriptCall(redis: RedisClient, source: ScriptSource): ScriptCall {
  return async (...args) => {
    const rest = scriptArgs(source, args);
    try {
      return await redis.evalsha(source.sha, ...(rest as [number, ...ScriptArg[]]));
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return redis.eval(source.lua, ...(rest as [number, ...ScriptArg[]]));
    }
  };
}

const bound = new WeakMap<RedisClient, Map<string, Record<string, ScriptCall>>>();

/**
 * The scripts of `dir` bound to a client, by file name without the key count. With
 * REDIS_WAIT_REPLICAS set on the client, each one but those in `unwaited` (reads, and writes that
 * need no replica's confirmation) also WAITs for the replicas; otherwise a call is the one EVALSHA.
 */
export function scriptDir<Name extends string>(
  redis: RedisClient,
  dir: URL,
  unwaited: readonly NoInfer<Name>[] = [],
): Record<Name, ScriptCall> {
  let perClient = bound.get(redis);
  if (!perClient) bound.set(redis, (perClient = new Map<string, Record<string, ScriptCall>>()));
  const known = perClient.get(dir.href);
  if (known) return known;
  const table: Record<string, ScriptCall> = {};
  for (const source of loadSources(dir)) {
    const replicas = (unwaited as readonly string[]).includes(source.name) ? 0 : replicaWait(redis);
    table[source.name] = replicas > 0 ? waitingScript(redis, source, replicas) : scriptCall(redis, source);
  }
  perClient.set(dir.href, table);
  return table;
}
