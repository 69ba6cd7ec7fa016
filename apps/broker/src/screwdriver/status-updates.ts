import type { FastifyBaseLogger } from 'fastify';
import type { RedisClient } from '../redis/client.js';
import { Counter, type Registry } from 'prom-client';
import { buildUrl, type Outcome, type ScrewdriverApi } from './api.js';
import type { BuildContexts } from './contexts.js';
import { DueWork } from './due-loop.js';
import { SD_KEYS } from './keys.js';
import { claimed } from './scripts.js';
import type { BuildClaims, ScrewdriverTokens } from './tokens.js';

/**
 * What the broker tells Screwdriver about a build (`PUT {apiUri}/v4/builds/{id}`), kept in Redis
 * until it is sent: a broker that dies, or an API that is down, delays an update but loses none,
 * and nothing on a build's path waits for one. Per build only the newest update is kept, except
 * that a final one (FAILURE) is never replaced by a progress note. Any replica sends what is due.
 *
 * Progress notes always carry `status: QUEUED`: the API refuses that once the launcher has set the
 * build RUNNING, so a late note can never overwrite a running build's status or message.
 */
export type Update =
  | {
      kind: 'status';
      body: {
        status: 'QUEUED' | 'BLOCKED' | 'FROZEN' | 'COLLAPSED' | 'FAILURE';
        statusMessage: string;
        stats?: Record<string, string>;
      };
    }
  | { kind: 'timeout' };

interface Stored {
  apiUri: string;
  claims: BuildClaims;
  update: Update;
}

export interface StatusUpdatesDeps {
  redis: RedisClient;
  contexts: BuildContexts;
  tokens: ScrewdriverTokens;
  api: ScrewdriverApi;
  log: FastifyBaseLogger;
  metrics: Registry;
}

const BATCH = 50;
/** Longer than the sends of one update take (two calls of at most 10 s each). */
const CLAIM_MS = 30_000;
const IDLE_MS = 250;
const MAX_FAILED_SENDS = 20;
export const TIMEOUT_MESSAGE = 'Build failed due to timeout';
/** Screwdriver's launcher code for a step ended by a timeout. */
const TIMEOUT_STEP_CODE = 3;

/**
 * Sends what is due from any replica: woken by each update it is given, a pass that finds a full
 * batch is followed by another at once. `close` stops sending; what is not sent stays in Redis
 * for the next replica or start.
 */
export class StatusUpdates extends DueWork {
  private readonly sent: Counter<'outcome'>;

  constructor(private readonly deps: StatusUpdatesDeps) {
    super(deps.redis, { what: 'screwdriver updates', log: deps.log, idleMs: IDLE_MS, followUp: true });
    this.sent = new Counter({
      name: 'broker_screwdriver_updates_total',
      help: 'Build updates sent to the Screwdriver API, by outcome (sent, refused, retried, dropped)',
      labelNames: ['outcome'] as const,
      registers: [deps.metrics],
    });
  }

  /** A progress note while the build waits (pending or queued). */
  queued(buildId: number, statusMessage: string): Promise<void> {
    return this.put(buildId, { kind: 'status', body: { status: 'QUEUED', statusMessage } }, false);
  }

  /** The build waits on Screwdriver's blockedBy rule. */
  blocked(buildId: number, statusMessage: string): Promise<void> {
    return this.put(buildId, { kind: 'status', body: { status: 'BLOCKED', statusMessage } }, false);
  }

  /** The build waits for its job's freeze window to end (the queue-service's wording, `frozenMessage`). */
  frozen(buildId: number, statusMessage: string): Promise<void> {
    return this.put(buildId, { kind: 'status', body: { status: 'FROZEN', statusMessage } }, false);
  }

  /** A newer build of the same job runs instead (Screwdriver's collapseBuilds). */
  collapsed(buildId: number, newer: number): Promise<void> {
    return this.put(
      buildId,
      { kind: 'status', body: { status: 'COLLAPSED', statusMessage: `Collapsed to build: ${newer}` } },
      true,
    );
  }

  /** The build will not run: FAILURE with why. */
  failed(buildId: number, statusMessage: string): Promise<void> {
    return this.put(buildId, { kind: 'status', body: { status: 'FAILURE', statusMessage } }, true);
  }

  /** The build ran past its timeout: its running step ends with the timeout code, the build FAILURE. */
  timedOut(buildId: number): Promise<void> {
    return this.put(buildId, { kind: 'timeout' }, true);
  }

  private async put(buildId: number, update: Update, final: boolean): Promise<void> {
    const context = await this.deps.contexts.get(buildId);
    // Not a build Screwdriver sent with an API address (a test post, an old broker's build): nobody to tell.
    if (!context?.apiUri) return;
    // A build the broker holds (waiting, blocked or frozen) has entered Screwdriver's queue all the same.
    if (update.kind === 'status' && ['QUEUED', 'BLOCKED', 'FROZEN'].includes(update.body.status)) {
      update.body.stats = { queueEnterTime: context.acceptedAt };
    }
    const stored: Stored = { apiUri: context.apiUri, claims: context.claims, update };
    await this.scripts['notify-put'](
      SD_KEYS.updatesDue,
      SD_KEYS.updateBase + buildId,
      buildId,
      JSON.stringify(stored),
      final ? 1 : 0,
    );
    this.loop.soon(0);
  }

  /** One pass: take what is due (up to a batch) and send it; true when the batch was full (more may be due). */
  protected async fireDue(): Promise<boolean> {
    const reply = await this.scripts['claim-due'](SD_KEYS.updatesDue, SD_KEYS.updateBase, BATCH, CLAIM_MS, 'p', 'v', 'n');
    const { entries } = claimed(reply, 3);
    await Promise.all(entries.map((e) => this.sendOne(Number(e.id), e.values[0]!, e.values[1]!, Number(e.values[2]))));
    return entries.length === BATCH;
  }

  private async sendOne(buildId: number, payload: string, version: string, failedSends: number): Promise<void> {
    const stored = JSON.parse(payload) as Stored;
    const outcome = await this.send(buildId, stored);
    let verdict: 'done' | 'retry' = outcome.kind === 'retry' ? 'retry' : 'done';
    if (outcome.kind === 'retry' && failedSends + 1 >= MAX_FAILED_SENDS) {
      verdict = 'done';
      this.sent.inc({ outcome: 'dropped' });
      this.deps.log.error(
        { buildId, why: outcome.why },
        `screwdriver update for build ${buildId} dropped after ${MAX_FAILED_SENDS} tries`,
      );
    } else {
      this.sent.inc({ outcome: outcome.kind === 'retry' ? 'retried' : outcome.kind });
      // A refusal is the API saying the build moved on (e.g. a late QUEUED note for a build that left BLOCKED or
      // went RUNNING): expected, and worth a line, not a warning. A failed send is worth a warning.
      if (outcome.kind === 'refused') {
        this.deps.log.info({ buildId, why: outcome.why }, `screwdriver update for build ${buildId} refused`);
      } else if (outcome.kind === 'retry') {
        this.deps.log.warn({ buildId, why: outcome.why }, `screwdriver update for build ${buildId} will be retried`);
      }
    }
    const delay = Math.min(300_000, 1000 * 2 ** failedSends) * (0.75 + Math.random() / 2);
    await this.scripts['notify-done'](
      SD_KEYS.updatesDue,
      SD_KEYS.updateBase + buildId,
      buildId,
      version,
      verdict,
      Math.round(delay),
    );
  }

  private async send(buildId: number, { apiUri, claims, update }: Stored): Promise<Outcome> {
    const token = await this.deps.tokens.build(claims);
    const url = buildUrl(apiUri, buildId);
    if (update.kind === 'status') return this.deps.api.call('PUT', url, token, update.body);
    // Timeout: end the running step as the launcher would have, then fail the build.
    const steps = await this.deps.api.call('GET', `${url}/steps?status=active`, token);
    const active =
      steps.kind === 'sent' && Array.isArray(steps.body) ? (steps.body[0] as { name?: unknown } | undefined) : undefined;
    if (typeof active?.name === 'string') {
      await this.deps.api.call('PUT', `${url}/steps/${encodeURIComponent(active.name)}`, token, {
        endTime: new Date().toISOString(),
        code: TIMEOUT_STEP_CODE,
      });
    }
    return this.deps.api.call('PUT', url, token, { status: 'FAILURE', statusMessage: TIMEOUT_MESSAGE });
  }
}
