import type { FastifyBaseLogger } from 'fastify';
import type { ScrewdriverApi } from './api.js';
import type { ScrewdriverTokens } from './tokens.js';

/**
 * Starts a Screwdriver event on the broker's own initiative, as the queue-service does when a
 * freeze window ends or a periodic job's cron ticks: the pipeline's first admin is looked up
 * (`GET /v4/pipelines/{id}/admin`, a queue-service token) and the event is created as that user
 * (`POST /v4/events`), credited to "Screwdriver scheduler". A pipeline without an admin cannot start
 * anything: the job is told so (`POST /v4/jobs/{id}/notify`, FAILURE) and the start is given up.
 */
export interface AdminEvent {
  apiUri: string;
  pipelineId: number;
  scmContext?: string;
  jobId: number;
  jobName: string;
  causeMessage: string;
  /** Restarts this build's place in its event graph (a frozen build), instead of starting afresh. */
  buildId?: number;
  parentEventId?: number;
}

/** `started`: the API created the event. `given-up`: asking again cannot help. `retry`: try again later. */
export type AdminEventOutcome =
  { kind: 'started'; eventId: number | null } | { kind: 'given-up'; why: string } | { kind: 'retry'; why: string };

export interface AdminEventsDeps {
  tokens: ScrewdriverTokens;
  api: ScrewdriverApi;
  log: FastifyBaseLogger;
}

interface Admin {
  username: string;
  scmContext: string;
}

const isAdmin = (v: unknown): v is Admin =>
  typeof v === 'object' && v !== null && typeof (v as Admin).username === 'string' && typeof (v as Admin).scmContext === 'string';

export class AdminEvents {
  constructor(private readonly deps: AdminEventsDeps) {}

  async start(event: AdminEvent): Promise<AdminEventOutcome> {
    const { tokens, api, log } = this.deps;
    const base = event.apiUri.replace(/\/+$/, '');
    const scope = { pipelineId: event.pipelineId, jobId: event.jobId, scmContext: event.scmContext };
    const lookup = await api.call('GET', `${base}/v4/pipelines/${event.pipelineId}/admin`, await tokens.service(scope, 'user'));
    if (lookup.kind === 'retry') return lookup;
    if (lookup.kind === 'refused') {
      if (lookup.status === 404) return this.noAdmin(base, event);
      return { kind: 'given-up', why: lookup.why };
    }
    if (!isAdmin(lookup.body)) return { kind: 'given-up', why: `pipeline ${event.pipelineId}: the admin record names no user` };
    const admin = lookup.body;
    const body = {
      pipelineId: event.pipelineId,
      startFrom: event.jobName,
      creator: { name: 'Screwdriver scheduler', username: 'sd:scheduler' },
      causeMessage: event.causeMessage,
      ...(event.parentEventId === undefined ? {} : { parentEventId: event.parentEventId }),
      ...(event.buildId === undefined ? {} : { buildId: event.buildId }),
    };
    const created = await api.call('POST', `${base}/v4/events`, await tokens.user(admin.username, admin.scmContext), body);
    if (created.kind !== 'sent') return created.kind === 'retry' ? created : { kind: 'given-up', why: created.why };
    const id = (created.body as { id?: unknown } | null)?.id;
    log.info(
      { pipelineId: event.pipelineId, job: event.jobName, admin: admin.username, eventId: id },
      'screwdriver: event started',
    );
    return { kind: 'started', eventId: typeof id === 'number' ? id : null };
  }

  private async noAdmin(base: string, event: AdminEvent): Promise<AdminEventOutcome> {
    const message = `Pipeline ${event.pipelineId} does not have admin, unable to start job ${event.jobName}.`;
    const token = await this.deps.tokens.service({ pipelineId: event.pipelineId, scmContext: event.scmContext }, 'pipeline');
    const told = await this.deps.api.call('POST', `${base}/v4/jobs/${event.jobId}/notify`, token, { status: 'FAILURE', message });
    if (told.kind === 'retry') return told;
    return { kind: 'given-up', why: message };
  }
}
