import fp from 'fastify-plugin';
import { ReplyError, type Redis, type RedisOptions } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors/index.js';
import { CONNECTION_CLOSED_ERROR_MSG } from 'ioredis/built/utils/index.js';
import { Errors } from '../../errors.js';
import { isCluster, type RedisClient } from '../../redis/client.js';
import { connectRedis, RedisConnectionLost } from '../../redis/connect.js';
import { ReplicasBehind, setReplicaWait } from '../../redis/replica-wait.js';
import { BOOKKEEPING_DELAY_MS, WriteBatch } from '../../redis/write-batch.js';
import { isConnectionErrno } from './socket-errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Commands. Every key is prefixed with config.redisKeyPrefix by ioredis itself. */
    redis: RedisClient;
    /**
     * The app's one batch of bookkeeping writes (the directory's expiries, the console's records):
     * those of BOOKKEEPING_DELAY_MS go out together (WriteBatch). Sent at close, before Redis closes.
     */
    bookkeeping: WriteBatch;
    /** Name of a pub/sub channel of this deployment (channels are not keys, so ioredis does not prefix them). */
    channel(name: string): string;
  }
}

export function redisOptions(keyPrefix: string): RedisOptions {
  return {
    keyPrefix,
    // Fail a command quickly while Redis is away (the request answers 503), but keep reconnecting.
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    enableAutoPipelining: true,
    // A command sent before a disconnect may have run: sending it again would run a poll, nack or
    // append twice. It fails instead (the request answers 503 and the caller retries with its
    // own idempotency: pollId, buildId, lease ids). Commands queued while offline were never
    // sent and still go out once the connection is back.
    autoResendUnfulfilledCommands: false,
    lazyConnect: false,
  };
}

export { RedisConnectionLost };

/**
 * Reply errors (the server answered) that say the command did not run and may be sent again later,
 * by their code, the reply's first word: a cluster without a master for the slot (CLUSTERDOWN,
 * MASTERDOWN), a slot moving (TRYAGAIN), a master short of replicas for `min-replicas-to-write`
 * (NOREPLICAS), a server loading its data (LOADING), and a redirection a pipeline met while its
 * slot moved to a failed-over master (MOVED, ASK).
 */
const REFUSAL_CODES = new Set(['CLUSTERDOWN', 'TRYAGAIN', 'NOREPLICAS', 'MASTERDOWN', 'LOADING', 'MOVED', 'ASK']);

/** ioredis types it `any`; it is redis-errors' ReplyError, the class of every error reply (RESP2 and RESP3). */
const RedisReplyError = ReplyError as ErrorConstructor;

/** The code of a Redis error reply (`-CODE message`), or null when `err` is not one. */
function replyCode(err: Error): string | null {
  return err instanceof RedisReplyError ? (err.message.split(/\s/, 1)[0] ?? '') : null;
}

/**
 * ioredis's own failures that it raises as a plain Error, with no class or code to tell them by:
 * a closed node connection (its exported message), and the cluster client giving up on
 * redirections, on a cluster not ready, on unreachable startup nodes, or on a pipeline whose slots
 * changed hands between its grouping and its sending. Only these exact texts of the driver count.
 */
const CLUSTER_CLIENT_FAILURES = [
  'Too many Cluster redirections. Last error: ',
  "Cluster isn't ready and enableOfflineQueue options is false",
  'None of startup nodes is available',
  'All keys in the pipeline should belong to the same slots allocation group',
];

function isUntypedDriverFailure(err: Error): boolean {
  return err.message === CONNECTION_CLOSED_ERROR_MSG || CLUSTER_CLIENT_FAILURES.some((text) => err.message.startsWith(text));
}

/**
 * The 503 for an error of a command that Redis never answered: retries used up, the connection
 * lost under it, a socket error, or any failure while the client is not connected (ioredis fails
 * commands on a closed connection with a plain Error, so its state is what tells); a refusal of a
 * cluster or of a master short of replicas; or a write that reached fewer replicas than
 * REDIS_WAIT_REPLICAS asks (it happened, and the caller's retry is idempotent).
 */
export function redisUnavailable(
  err: unknown,
  redis: Pick<RedisClient, 'status'>,
): InstanceType<typeof Errors.Unavailable> | null {
  if (!(err instanceof Error)) return null;
  const code = replyCode(err);
  const lost =
    err instanceof MaxRetriesPerRequestError ||
    err instanceof RedisConnectionLost ||
    err instanceof ReplicasBehind ||
    err.name === 'ClusterAllFailedError' ||
    // redis-errors' AbortError: "Command aborted due to connection close" (a node went away under it).
    err.name === 'AbortError' ||
    (code !== null && REFUSAL_CODES.has(code)) ||
    isUntypedDriverFailure(err) ||
    isConnectionErrno(err) ||
    redis.status !== 'ready';
  return lost ? new Errors.Unavailable({ service: 'Redis', cause: err.message }) : null;
}

/**
 * With `autoResendUnfulfilledCommands` off, ioredis drops the commands that were waiting for an
 * answer when the connection closed, and their promises never settle. Fail them as soon as it
 * starts reconnecting, so every request waiting on one answers (503) instead of hanging.
 */
export function failUnansweredOnReconnect(redis: Redis): void {
  const client = redis as unknown as {
    flushQueue(error: Error, options: { offlineQueue: boolean; commandQueue: boolean }): void;
  };
  redis.on('reconnecting', () => client.flushQueue(new RedisConnectionLost(), { offlineQueue: false, commandQueue: true }));
}

export default fp(
  async (app) => {
    const { redisKeyPrefix } = app.config;
    const redis = connectRedis(app.config, { ...redisOptions(redisKeyPrefix), connectionName: 'broker-commands' });
    redis.on('error', (err: Error) => app.log.warn({ err: err.message }, 'redis connection error'));
    // A cluster's node connections never reconnect: their unanswered commands fail when they close.
    if (!isCluster(redis)) failUnansweredOnReconnect(redis);
    setReplicaWait(redis, app.config.redisWaitReplicas);
    app.decorate<RedisClient>('redis', redis);
    app.decorate('channel', (name: string) => `${redisKeyPrefix}${name}`);
    // A Redis already gone at close costs a warning, not the shutdown.
    const bookkeeping = new WriteBatch(redis, {
      delayMs: BOOKKEEPING_DELAY_MS,
      onError: (err) => app.log.warn({ err: err.message }, 'could not send the bookkeeping still waiting at shutdown'),
    });
    app.decorate('bookkeeping', bookkeeping);
    // Last of the onClose hooks (redis is the first plugin): the batch's users are done.
    app.addHook('onClose', async () => {
      await bookkeeping.close();
      await redis.quit().catch(() => redis.disconnect());
    });
  },
  { name: 'redis', dependencies: ['config'] },
);
