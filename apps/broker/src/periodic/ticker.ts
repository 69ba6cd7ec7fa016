import type { FastifyBaseLogger } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Counter } from 'prom-client';
import type { AdminEventOutcome, AdminEvents } from '../screwdriver/admin-events.js';
import { nextTick } from './cron.js';
import { inTransaction } from '../db/transaction.js';

export const PERIODIC_CAUSE = 'Started by periodic build scheduler';
/** A replica sending a tick holds it this long; one that died meanwhile leaves it to another after that. */
export const SEND_LEASE_MS = 60_000;
/** Sends of one tick that Screwdriver answered "later" (down, 5xx, 429) before the tick is given up. */
export const MAX_SEND_ATTEMPTS = 10;
const BATCH = 100;

export type TickOutcome = 'claimed' | 'started' | 'retry' | 'given_up' | 'cancelled';

export interface TickerDeps {
  orm: MikroORM;
  /** The schedule's clock (crons and due ticks); the outbox's leases and backoff run on PostgreSQL's clock. */
  now: () => Date;
  /** Null without QUEUE_JWT_PRIVATE_KEY: ticks are claimed but wait in the outbox. */
  events: Pick<AdminEvents, 'start'> | null;
  log: FastifyBaseLogger;
  ticks: Counter<'outcome'>;
  pollMs: number;
}

interface Claimed {
  jobId: number;
  expression: string;
  nextAt: Date;
}

interface Leased {
  id: string;
  jobId: number;
  dueAt: Date;
  /** Counts the leases: a lease is fenced by it (a replica whose lease lapsed touches the row no more). */
  attempts: number;
}

interface Target {
  pipelineId: number;
  scmContext: string | null;
  jobName: string;
  apiUri: string;
  state: string;
}

/** Backoff of a tick Screwdriver could not take yet: 1 s, 2 s, 4 s … at most 5 min. */
const backoffMs = (attempts: number): number => Math.min(2 ** Math.max(0, attempts - 1) * 1000, 300_000);

/**
 * Fires periodic builds. Each poll, on every replica:
 *
 * 1. **claim**: the due schedules are locked (`for update skip locked`), moved to their next tick
 *    after now and written to the outbox, in one transaction. A tick is claimed by one replica only,
 *    and the outbox row commits with the claim or not at all. Ticks missed while no broker ran are
 *    one tick: the next is computed from now, not from the missed one.
 * 2. **send**: outbox rows are leased (`skip locked`) and started as events through the API as the
 *    pipeline's admin; a row is deleted once started or given up, and retried with backoff when the
 *    API answers "later". A replica that dies holding a lease leaves the row to another after
 *    SEND_LEASE_MS.
 */
export class PeriodicTicker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  private failingSince: number | null = null;
  private lastWarnAt = 0;

  constructor(private readonly deps: TickerDeps) {}

  /** Claims every schedule due at `now` (default: the schedule clock); answers the claimed job ids. */
  async claimDue(now: Date = this.deps.now()): Promise<number[]> {
    const claimed = await inTransaction(this.deps.orm.em, async (tx) => {
      const due = await tx.execute<Claimed[]>(
        `select "jobId", "expression", "nextAt" from "periodicSchedules"
          where "state" = 'active' and "nextAt" <= ? order by "nextAt" limit ${BATCH} for update skip locked`,
        [now],
      );
      for (const row of due) {
        await tx.execute(`update "periodicSchedules" set "nextAt" = ?, "lastTickAt" = ? where "jobId" = ?`, [
          nextTick(row.expression, now),
          row.nextAt,
          row.jobId,
        ]);
        await tx.execute(
          `insert into "periodicTicks" ("jobId", "dueAt", "reason", "notBefore") values (?, ?, 'tick', now())
           on conflict ("jobId", "dueAt") do nothing`,
          [row.jobId, row.nextAt],
        );
      }
      return due;
    });
    if (claimed.length > 0) this.deps.ticks.inc({ outcome: 'claimed' }, claimed.length);
    return claimed.map((c) => c.jobId);
  }

  /** Sends what the outbox holds that is due and unleased; answers how many rows it handled. */
  async sendDue(): Promise<number> {
    const { events } = this.deps;
    if (!events) return 0;
    const em = this.deps.orm.em.fork();
    const leased = await em.execute<Leased[]>(
      `update "periodicTicks" set "leaseUntil" = now() + ? * interval '1 millisecond', "attempts" = "attempts" + 1
        where "id" in (select "id" from "periodicTicks"
                        where "notBefore" <= now() and ("leaseUntil" is null or "leaseUntil" < now())
                        order by "notBefore", "id" limit ${BATCH} for update skip locked)
        returning "id", "jobId", "dueAt", "attempts"`,
      [SEND_LEASE_MS],
    );
    for (const tick of leased) await this.send(tick, events);
    return leased.length;
  }

  private async send(tick: Leased, events: Pick<AdminEvents, 'start'>): Promise<void> {
    const em = this.deps.orm.em.fork();
    const [target] = await em.execute<Target[]>(
      `select "pipelineId", "scmContext", "jobName", "apiUri", "state" from "periodicSchedules" where "jobId" = ?`,
      [tick.jobId],
    );
    if (!target || target.state !== 'active') {
      await this.finish(tick, 'cancelled', 'the schedule was stopped before the tick was sent');
      return;
    }
    let outcome: AdminEventOutcome;
    try {
      outcome = await events.start({
        apiUri: target.apiUri,
        pipelineId: target.pipelineId,
        ...(target.scmContext ? { scmContext: target.scmContext } : {}),
        jobId: tick.jobId,
        jobName: target.jobName,
        causeMessage: PERIODIC_CAUSE,
      });
    } catch (err) {
      outcome = { kind: 'retry', why: err instanceof Error ? err.message : String(err) };
    }
    const at = new Date(tick.dueAt).toISOString();
    if (outcome.kind === 'started') {
      await this.finish(tick, 'started', `started event ${outcome.eventId ?? '?'} for the tick of ${at}`);
    } else if (outcome.kind === 'given-up') {
      this.deps.log.warn({ jobId: tick.jobId, dueAt: at, why: outcome.why }, `periodic build of job ${tick.jobId} given up`);
      await this.finish(tick, 'given_up', `given up (tick of ${at}): ${outcome.why}`);
    } else if (tick.attempts >= MAX_SEND_ATTEMPTS) {
      this.deps.log.warn({ jobId: tick.jobId, dueAt: at, why: outcome.why }, `periodic build of job ${tick.jobId} given up`);
      await this.finish(tick, 'given_up', `given up after ${tick.attempts} attempts (tick of ${at}): ${outcome.why}`);
    } else {
      this.deps.ticks.inc({ outcome: 'retry' });
      await em.execute(
        `update "periodicTicks" set "leaseUntil" = null, "notBefore" = now() + ? * interval '1 millisecond', "lastError" = ?
          where "id" = ? and "attempts" = ?`,
        [backoffMs(tick.attempts), outcome.why.slice(0, 500), tick.id, tick.attempts],
      );
    }
  }

  /** The tick is over: its row goes (if this replica still holds it) and the schedule notes the outcome. */
  private async finish(tick: Leased, outcome: Exclude<TickOutcome, 'claimed' | 'retry'>, note: string): Promise<void> {
    this.deps.ticks.inc({ outcome });
    await inTransaction(this.deps.orm.em, async (tx) => {
      await tx.execute(`delete from "periodicTicks" where "id" = ? and "attempts" = ?`, [tick.id, tick.attempts]);
      if (outcome !== 'cancelled') {
        await tx.execute(`update "periodicSchedules" set "lastOutcome" = ? where "jobId" = ?`, [note.slice(0, 500), tick.jobId]);
      }
    });
  }

  /** One poll: claim what is due, then send until the outbox has nothing due. */
  async poll(): Promise<void> {
    await this.claimDue();
    while ((await this.sendDue()) >= BATCH && !this.closed);
  }

  start(): void {
    const loop = () => {
      if (this.closed) return;
      this.running = this.poll()
        .then(() => {
          this.failingSince = null;
        })
        .catch((err: unknown) => {
          // PostgreSQL away: one line when it starts failing, then one a minute, not one a poll.
          const now = Date.now();
          if (this.failingSince === null || now - this.lastWarnAt >= 60_000) {
            this.failingSince ??= now;
            this.lastWarnAt = now;
            this.deps.log.warn({ err, failingForMs: now - this.failingSince }, 'periodic builds: poll failed; trying again');
          }
        })
        .finally(() => {
          this.running = null;
          if (!this.closed) this.timer = setTimeout(loop, this.deps.pollMs);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
