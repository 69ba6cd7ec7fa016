import type { MikroORM } from '@mikro-orm/postgresql';
import type {
  PeriodicListQuery,
  PeriodicResult,
  PeriodicScheduleList,
  PeriodicScheduleView,
  PeriodicStartMessage,
} from '@buildcluster/protocol';
import { Errors } from '../errors.js';
import { CronError, firstTick, transformCron } from './cron.js';
import { inTransaction } from '../db/transaction.js';

export const PERIODIC_ANNOTATION = 'screwdriver.cd/buildPeriodically';

/** Where the cron sits in a start message, for the 400s. */
const CRON_FIELD = `body/job/permutations/0/annotations/${PERIODIC_ANNOTATION}`;

interface ScheduleRow {
  jobId: number;
  pipelineId: number;
  scmContext: string | null;
  jobName: string;
  apiUri: string;
  cron: string;
  expression: string;
  nextAt: Date | null;
  state: 'active' | 'stopped';
  stoppedReason: string | null;
  lastTickAt: Date | null;
  lastOutcome: string | null;
  updatedAt: Date;
  pendingTicks: string | number;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

/** The job's cron, or null when it has none; a cron that is not text is refused. */
function cronOf(message: PeriodicStartMessage): string | null {
  const cron = message.job.permutations?.[0]?.annotations?.[PERIODIC_ANNOTATION];
  if (cron === undefined || cron === null || cron === '') return null;
  if (typeof cron !== 'string') throw new Errors.BadRequest(`${CRON_FIELD} must be a cron string, got ${typeof cron}`);
  if (cron.length > 200) throw new Errors.BadRequest(`${CRON_FIELD} must be at most 200 characters`);
  return cron;
}

/**
 * The periodic schedules of Screwdriver jobs, in PostgreSQL: what `?type=periodic` registers,
 * updates and stops, as the queue-service's startPeriodic / stopPeriodic do.
 */
export class PeriodicSchedules {
  constructor(
    private readonly orm: MikroORM,
    private readonly now: () => Date,
  ) {}

  /**
   * startPeriodic: a job that is enabled, not archived and has a cron ticks from its first tick
   * more than five minutes away; any other job's schedule stops. Without `isUpdate` an unchanged
   * active schedule keeps its next tick. `triggerBuild` also records a start of the job now.
   */
  async start(message: PeriodicStartMessage): Promise<PeriodicResult> {
    const { job, pipeline } = message;
    const cron = cronOf(message);
    if (cron === null) return this.stop(job.id, `the job has no ${PERIODIC_ANNOTATION} annotation`);
    if (job.archived === true) return this.stop(job.id, 'the job is archived');
    if (job.state !== 'ENABLED') return this.stop(job.id, `the job is ${job.state}`);
    let expression: string;
    try {
      expression = transformCron(cron, job.id);
    } catch (err) {
      if (err instanceof CronError) throw new Errors.BadRequest(`${CRON_FIELD}: ${err.message}`);
      throw err;
    }
    const now = this.now();
    const first = firstTick(expression, now);
    return inTransaction(this.orm.em, async (tx) => {
      const rows = await tx.execute<Array<{ nextAt: Date }>>(
        `insert into "periodicSchedules"
           ("jobId", "pipelineId", "scmContext", "jobName", "apiUri", "cron", "expression", "nextAt", "state")
         values (?, ?, ?, ?, ?, ?, ?, ?, 'active')
         on conflict ("jobId") do update set
           "pipelineId" = excluded."pipelineId", "scmContext" = excluded."scmContext",
           "jobName" = excluded."jobName", "apiUri" = excluded."apiUri", "cron" = excluded."cron",
           "expression" = excluded."expression",
           "nextAt" = case when ?::boolean or "periodicSchedules"."state" <> 'active'
                             or "periodicSchedules"."expression" <> excluded."expression"
                             or "periodicSchedules"."nextAt" is null
                           then excluded."nextAt" else "periodicSchedules"."nextAt" end,
           "state" = 'active', "stoppedReason" = null, "updatedAt" = now()
         returning "nextAt"`,
        [
          job.id,
          pipeline.id,
          pipeline.scmContext ?? null,
          job.name,
          message.apiUri.replace(/\/+$/, ''),
          cron,
          expression,
          first,
          message.isUpdate === true,
        ],
      );
      let triggered: boolean | undefined;
      if (message.triggerBuild === true) {
        // A start asked for now is a tick of its own: sent through the same outbox, once.
        await tx.execute(
          `insert into "periodicTicks" ("jobId", "dueAt", "reason", "notBefore") values (?, ?, 'trigger', now())
           on conflict ("jobId", "dueAt") do nothing`,
          [job.id, now],
        );
        triggered = true;
      }
      const nextAt = rows[0]?.nextAt ?? first;
      return {
        jobId: job.id,
        schedule: 'scheduled' as const,
        cron,
        expression,
        nextAt: new Date(nextAt).toISOString(),
        ...(triggered ? { triggered } : {}),
      };
    });
  }

  /** stopPeriodic: the job no longer ticks; ticks claimed and not yet being sent are dropped. */
  async stop(jobId: number, reason: string): Promise<PeriodicResult> {
    return inTransaction(this.orm.em, async (tx) => {
      const rows = await tx.execute<unknown[]>(
        `update "periodicSchedules" set "state" = 'stopped', "stoppedReason" = ?, "nextAt" = null, "updatedAt" = now()
         where "jobId" = ? returning "jobId"`,
        [reason.slice(0, 500), jobId],
      );
      await tx.execute(`delete from "periodicTicks" where "jobId" = ? and ("leaseUntil" is null or "leaseUntil" < now())`, [
        jobId,
      ]);
      return { jobId, schedule: rows.length > 0 ? ('stopped' as const) : ('none' as const), reason };
    });
  }

  async activeCount(): Promise<number> {
    const rows = await this.orm.em
      .fork()
      .execute<Array<{ n: number }>>(`select count(*)::int as n from "periodicSchedules" where "state" = 'active'`);
    return rows[0]?.n ?? 0;
  }

  async list(query: PeriodicListQuery): Promise<PeriodicScheduleList> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.state) {
      where.push(`s."state" = ?`);
      params.push(query.state);
    }
    if (query.pipelineId !== undefined) {
      where.push(`s."pipelineId" = ?`);
      params.push(query.pipelineId);
    }
    params.push(query.limit ?? 200);
    const rows = await this.orm.em.fork().execute<ScheduleRow[]>(
      `select s.*, (select count(*) from "periodicTicks" t where t."jobId" = s."jobId") as "pendingTicks"
         from "periodicSchedules" s ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
        order by s."state", s."nextAt" nulls last, s."jobId" limit ?`,
      params,
    );
    const schedules = rows.map((r): PeriodicScheduleView => ({
      jobId: r.jobId,
      pipelineId: r.pipelineId,
      jobName: r.jobName,
      scmContext: r.scmContext,
      apiUri: r.apiUri,
      cron: r.cron,
      expression: r.expression,
      state: r.state,
      stoppedReason: r.stoppedReason,
      nextAt: iso(r.nextAt),
      lastTickAt: iso(r.lastTickAt),
      lastOutcome: r.lastOutcome,
      pendingTicks: Number(r.pendingTicks),
      updatedAt: new Date(r.updatedAt).toISOString(),
    }));
    return { schedules, active: await this.activeCount(), now: this.now().toISOString() };
  }
}
