import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { FrozenMessage, type EnqueueResult, type FrozenResult, type StartMessage } from '@buildcluster/protocol';
import { Errors } from '../../errors.js';
import { checked } from './body-check.js';
import { BuildContexts } from '../../screwdriver/contexts.js';
import { checkWindows, FreezeWindowError, frozenMessage, insideWindow, outOfWindows } from '../../screwdriver/freeze-windows.js';
import type { FrozenEvent } from '../../screwdriver/frozen.js';

/**
 * Freeze windows on Screwdriver's queue calls, as its queue-service applies them: a start message
 * whose job is inside one of its `freezeWindows` is held (FROZEN) until the window ends, unless its
 * causeMessage says `[force start]`; `?type=frozen` starts a job's frozen build now (POST) or
 * forgets it (DELETE, the API's stopFrozen).
 */
export const FREEZE_CAUSE = 'Started by freeze window scheduler';
const FORCE_START = /\[force start\]/;
const checkFrozen = checked<FrozenMessage & Record<string, unknown>>(FrozenMessage, 'a frozen-build message');

const int = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null);

/** What starting the job again needs, from a start (or frozen) message; null when a part is missing. */
function eventOf(message: Record<string, unknown>, buildId: number): FrozenEvent | null {
  const pipeline = (typeof message.pipeline === 'object' && message.pipeline !== null ? message.pipeline : {}) as Record<
    string,
    unknown
  >;
  const pipelineId = int(pipeline.id) ?? int(message.pipelineId);
  const jobId = int(message.jobId);
  const { jobName, apiUri } = message;
  if (
    pipelineId === null ||
    jobId === null ||
    typeof jobName !== 'string' ||
    jobName === '' ||
    typeof apiUri !== 'string' ||
    apiUri === ''
  ) {
    return null;
  }
  const eventId = int(message.eventId);
  return {
    apiUri,
    pipelineId,
    ...(typeof pipeline.scmContext === 'string' ? { scmContext: pipeline.scmContext } : {}),
    jobId,
    jobName,
    causeMessage: FREEZE_CAUSE,
    buildId,
    ...(eventId === null ? {} : { parentEventId: eventId }),
    ...(typeof message.jobState === 'string' ? { jobState: message.jobState } : {}),
    ...(typeof message.jobArchived === 'boolean' ? { jobArchived: message.jobArchived } : {}),
  };
}

/** The message's freeze windows, validated; 400 naming the one that is not a cron expression. */
function windowsOf(message: Record<string, unknown>): string[] {
  const windows = message.freezeWindows;
  if (windows === undefined || windows === null) return [];
  if (!Array.isArray(windows) || windows.some((w) => typeof w !== 'string')) {
    throw new Errors.BadRequest('body/freezeWindows must be an array of cron expressions');
  }
  try {
    checkWindows(windows as string[]);
  } catch (err) {
    if (err instanceof FreezeWindowError) throw new Errors.BadRequest(`body/freezeWindows: ${err.message}`);
    throw err;
  }
  return windows as string[];
}

/**
 * Holds a start inside a freeze window (201 `frozen`), or answers null to let it go on to the
 * rules. Screwdriver is told FROZEN with the window's end, as the queue-service words it.
 */
export async function freezeStart(
  app: FastifyInstance,
  message: StartMessage & Record<string, unknown>,
  log: FastifyBaseLogger,
): Promise<EnqueueResult | null> {
  const windows = windowsOf(message);
  if (windows.length === 0 || FORCE_START.test(typeof message.causeMessage === 'string' ? message.causeMessage : '')) return null;
  const now = new Date();
  const until = outOfWindows(windows, now);
  if (until.getTime() <= now.getTime()) return null;
  const { buildId } = message;
  const { frozen, contexts, updates } = app.screwdriver;
  const event = eventOf(message, buildId);
  if (!frozen.enabled || !event) {
    log.warn(
      { buildId },
      `build ${buildId} is inside a freeze window, but the broker could not start it again ` +
        `(${frozen.enabled ? 'the message lacks jobId, jobName, pipeline id or apiUri' : 'QUEUE_JWT_PRIVATE_KEY is not set'}); queued now`,
    );
    return null;
  }
  const statusMessage = frozenMessage(until);
  const inside = windows.filter((w) => insideWindow(w, now));
  const reason = `inside freeze window ${inside.join(', ')}; starts again at ${until.toISOString()}`;
  // The job's older frozen build is forgotten here, and frozen-put replaces it anyway.
  await contexts.remember(buildId, BuildContexts.of(message, now), event.jobId);
  const replaced = await frozen.freeze(buildId, until, reason, event);
  if (replaced !== null)
    log.info({ buildId, replaced }, `frozen build ${replaced} of job ${event.jobId} gave way to build ${buildId}`);
  await updates?.frozen(buildId, statusMessage);
  app.queue.events.publish(buildId, 'frozen', null, reason);
  return { buildId, state: 'frozen', cluster: null, queue: null, statusMessage };
}

function frozenBody(request: FastifyRequest): FrozenMessage & Record<string, unknown> {
  return checkFrozen(request.body);
}

/** POST ?type=frozen: start the job's build again now, through the same claim as a window's end. */
export async function startFrozenNow(app: FastifyInstance, request: FastifyRequest): Promise<FrozenResult> {
  const body = frozenBody(request);
  const { frozen } = app.screwdriver;
  if (!frozen.enabled)
    throw new Errors.QueueKeyRequired({ feature: 'frozen', why: 'the broker starts the build again as the pipeline admin' });
  if (body.buildId === undefined) throw new Errors.BadRequest('body/buildId is required: the frozen build to start again');
  const event = eventOf(body, body.buildId);
  if (!event) throw new Errors.BadRequest('body must name the job (jobName), its pipeline (pipeline.id) and the API (apiUri)');
  await frozen.freeze(body.buildId, new Date(), 'started through ?type=frozen', event);
  return { jobId: body.jobId, frozen: 'starting', buildId: body.buildId };
}

/**
 * DELETE ?type=frozen (the API's stopFrozen, sent when a FROZEN build ends, e.g. aborted): the
 * job's frozen build is forgotten. With a buildId, only that build: stopping an older build that
 * gave way to a newer one leaves the newer one frozen.
 */
export async function stopFrozen(app: FastifyInstance, request: FastifyRequest): Promise<FrozenResult> {
  const body = frozenBody(request);
  const dropped = await app.screwdriver.frozen.forgetJob(body.jobId, body.buildId);
  if (dropped !== null) app.queue.events.publish(dropped, 'cancelled', null, 'frozen build stopped');
  return { jobId: body.jobId, frozen: dropped === null ? 'none' : 'stopped', ...(dropped === null ? {} : { buildId: dropped }) };
}
