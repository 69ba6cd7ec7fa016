import type { FastifyInstance } from 'fastify';
import { PeriodicStartMessage, PeriodicStopMessage, type PeriodicResult } from '@buildcluster/protocol';
import { Errors } from '../../errors.js';
import { checked } from './body-check.js';

const startMessage = checked<PeriodicStartMessage>(PeriodicStartMessage, 'a periodic build message');
const stopMessage = checked<PeriodicStopMessage>(PeriodicStopMessage, 'a periodic stop message');

/** POST ?type=periodic: the queue-service's startPeriodic (register, update, or stop a job's schedule). */
export async function startPeriodic(app: FastifyInstance, body: unknown): Promise<PeriodicResult> {
  const message = startMessage(body);
  if (!app.periodic.canStartEvents) {
    throw new Errors.QueueKeyRequired({
      feature: 'periodic',
      why: 'the broker starts periodic builds as the pipeline admin, with tokens it signs',
    });
  }
  return app.periodic.schedules.start(message);
}

/** DELETE ?type=periodic: the queue-service's stopPeriodic (a job removed, disabled, archived, or without its cron). */
export async function stopPeriodic(app: FastifyInstance, body: unknown): Promise<PeriodicResult> {
  const { jobId } = stopMessage(body);
  return app.periodic.schedules.stop(jobId, 'stopped by Screwdriver (job removed, disabled or archived, or its cron removed)');
}
