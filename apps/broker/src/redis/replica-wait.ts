import { isCluster, type RedisClient } from './client.js';
import { isNoScript, scriptArgs, type ScriptArg, type ScriptCall, type ScriptSource } from './script-source.js';

/** How long a WAIT may take before the write counts as not replicated (the request answers 503). */
export const WAIT_TIMEOUT_MS = 2000;

const waits = new WeakMap<RedisClient, number>();

/** REDIS_WAIT_REPLICAS of a client: the scripts defined on it afterwards WAIT for that many replicas. */
export function setReplicaWait(redis: RedisClient, replicas: number): void {
  if (replicas > 0) waits.set(redis, replicas);
  else waits.delete(redis);
}

export const replicaWait = (redis: RedisClient): number => waits.get(redis) ?? 0;

/** A state change Redis made but fewer replicas than asked confirmed in time: it may be lost in a failover. */
export class ReplicasBehind extends Error {
  constructor(wanted: number, got: number) {
    super(`the write reached ${got} of ${wanted} replicas within ${WAIT_TIMEOUT_MS} ms (REDIS_WAIT_REPLICAS)`);
    this.name = 'ReplicasBehind';
  }
}

/** MOVED and ASK say the script did not run; the pipeline is sent again once the slot map is fresh. */
const REDIRECTED = /^(MOVED|ASK) /;
const REDIRECT_TRIES = 3;

/**
 * A script call followed by `WAIT replicas` on the same connection, in one pipeline: on a cluster
 * the pipeline goes to the node of the script's keys (a keyless WAIT alone would go to any node),
 * so the WAIT counts the replicas of the master that ran the script. Fails with ReplicasBehind
 * when fewer confirm in time.
 */
export function waitingScript(redis: RedisClient, source: ScriptSource, replicas: number): ScriptCall {
  return async (...args) => {
    const rest = scriptArgs(source, args) as [number, ...ScriptArg[]];
    let withSource = false;
    for (let attempt = 1; ; attempt++) {
      const pipeline = redis.pipeline();
      if (withSource) pipeline.eval(source.lua, ...rest);
      else pipeline.evalsha(source.sha, ...rest);
      pipeline.call('WAIT', replicas, WAIT_TIMEOUT_MS);
      const [[err, reply] = [null, null], [waitErr, acked] = [null, 0]] = (await pipeline.exec()) ?? [];
      // The server lacked the script, so nothing ran: send it with its source.
      if (err && isNoScript(err) && !withSource) {
        withSource = true;
        continue;
      }
      if (err && REDIRECTED.test(err.message) && isCluster(redis) && attempt < REDIRECT_TRIES) {
        await new Promise<void>((resolve) => redis.refreshSlotsCache(() => resolve()));
        continue;
      }
      if (err) throw err;
      if (waitErr) throw waitErr;
      if (Number(acked) < replicas) throw new ReplicasBehind(replicas, Number(acked));
      return reply;
    }
  };
}
