import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { WORKER_ID_PATTERN as WORKER_ID_SOURCE } from '@buildcluster/protocol/constants';
import type { AckResult, ExtendResult, Job, NackResult, PollBody, PollResult, SignOption } from '@buildcluster/protocol';
import { BrokerClock } from './clock.js';
import { AbortedError, BrokerHttpError, BrokerUnreachableError } from './errors.js';
import { BrokerHttp } from './http.js';
import { ClusterTokenSource } from './token.js';

export interface WorkerClientOptions {
  /** Base URL of the broker, e.g. https://broker.example.com */
  brokerUrl: string;
  /** The registered cluster name; the token only opens this cluster's queue. */
  cluster: string;
  /** PEM text of the cluster's private key. */
  privateKey: string;
  signOption: SignOption;
  /** Names this worker in the broker's lease records and dashboard (default: host name and pid). */
  workerId?: string;
  /** Deadline of a call other than poll (default 15 s). A poll gets its waitMs plus this. */
  requestTimeoutMs?: number;
  /** Replaceable for tests of edge cases; defaults to the global fetch. */
  fetch?: typeof fetch;
}

export interface PollOptions {
  /** How many builds to lease at most (1–100, default 1). */
  max?: number;
  /** How long the broker may hold the poll open when nothing is queued (0–30000 ms, default 20000). */
  waitMs?: number;
  signal?: AbortSignal;
}

/** The broker's limits on a worker id (PollBody in @buildcluster/protocol is built from the same pattern). */
export const WORKER_ID_PATTERN = new RegExp(WORKER_ID_SOURCE);

export function defaultWorkerId(): string {
  const host =
    hostname()
      .replace(/[^\x21-\x7E]/g, '')
      .slice(0, 150) || 'worker';
  return `${host}-${process.pid}`;
}

const VERSION = '0.1.0';

/**
 * A typed client of the worker protocol (README "Worker protocol"): poll, ack, extend and nack on one cluster's
 * queue, each call carrying a cluster token minted from the private key and renewed before it
 * expires. Calls are single attempts; retrying is the caller's choice (see Worker for a policy).
 *
 * Polls are not safe to run concurrently on one client: the client remembers the id of a poll
 * whose answer it never got, and the next poll sends the same id, so the broker hands back the
 * leases it already made for it instead of leasing more (no build is left orphaned under a lease
 * nobody knows about).
 */
export class WorkerClient {
  readonly cluster: string;
  readonly workerId: string;
  readonly tokens: ClusterTokenSource;
  readonly clock = new BrokerClock();
  private readonly http: BrokerHttp;
  private readonly requestTimeoutMs: number;
  private readonly queuePath: string;
  private unansweredPollId: string | null = null;

  constructor(options: WorkerClientOptions) {
    this.cluster = options.cluster;
    this.workerId = options.workerId ?? defaultWorkerId();
    if (!WORKER_ID_PATTERN.test(this.workerId)) {
      throw new TypeError('workerId must be 1 to 200 printable ASCII characters without spaces');
    }
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.tokens = new ClusterTokenSource({
      privateKey: options.privateKey,
      signOption: options.signOption,
      now: () => this.clock.now(),
    });
    this.http = new BrokerHttp({
      baseUrl: options.brokerUrl,
      token: () => this.tokens.get(),
      clock: this.clock,
      userAgent: `buildcluster-worker/${VERSION} (${this.workerId})`,
      fetch: options.fetch,
    });
    this.queuePath = `/v4/queues/${encodeURIComponent(options.cluster)}`;
  }

  get brokerUrl(): string {
    return this.http.baseUrl;
  }

  /** True when the last poll got no answer: the next poll replays its id. */
  get hasUnansweredPoll(): boolean {
    return this.unansweredPollId !== null;
  }

  /** Leases up to `max` builds; an empty array when none arrived within `waitMs`. */
  async poll(options: PollOptions = {}): Promise<Job[]> {
    const waitMs = options.waitMs ?? 20_000;
    const pollId = this.unansweredPollId ?? randomUUID();
    const body: PollBody = { workerId: this.workerId, max: options.max ?? 1, waitMs, pollId };
    this.unansweredPollId = pollId;
    try {
      const answer = await this.call<PollResult>('poll', body, waitMs + this.requestTimeoutMs, options.signal);
      this.unansweredPollId = null;
      return answer.body?.jobs ?? [];
    } catch (err) {
      // A refusal (4xx) leased nothing, so a fresh id is fine. Without an answer, or with a 5xx
      // that may have come after the leases were made, keep the id for the retry.
      const maybeLeased =
        err instanceof BrokerUnreachableError ||
        err instanceof AbortedError ||
        (err instanceof BrokerHttpError && err.status >= 500);
      if (!maybeLeased) this.unansweredPollId = null;
      throw err;
    }
  }

  async ack(leaseIds: string[], signal?: AbortSignal): Promise<AckResult> {
    return this.required<AckResult>('ack', { leaseIds }, signal);
  }

  /** Extends leases by the broker's lease length (or `leaseMs`); the answer lists builds asked to stop. */
  async extend(leaseIds: string[], leaseMs?: number, signal?: AbortSignal): Promise<ExtendResult> {
    return this.required<ExtendResult>('extend', leaseMs === undefined ? { leaseIds } : { leaseIds, leaseMs }, signal);
  }

  /** Gives builds back: the broker delivers them again, ahead of newer ones. */
  async nack(leaseIds: string[], reason?: string, signal?: AbortSignal): Promise<NackResult> {
    const body = reason === undefined ? { leaseIds } : { leaseIds, reason: reason.slice(0, 2000) };
    const answer = await this.call<Partial<NackResult>>('nack', body, this.requestTimeoutMs, signal);
    // The spec only promises 200 for nack; tolerate an empty body.
    return { nacked: answer.body?.nacked ?? leaseIds, rejected: answer.body?.rejected ?? [] };
  }

  private async required<T>(verb: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const answer = await this.call<T>(verb, body, this.requestTimeoutMs, signal);
    if (answer.body === null) throw new BrokerUnreachableError(`POST ${this.queuePath}/${verb}`, 'empty answer');
    return answer.body;
  }

  private async call<T>(verb: string, body: unknown, timeoutMs: number, signal?: AbortSignal) {
    try {
      return await this.http.post<T>(`${this.queuePath}/${verb}`, body, { timeoutMs, signal });
    } catch (err) {
      // The broker did not take this token (expired in transit, clock skew, key rotated): the next call mints a new one.
      if (err instanceof BrokerHttpError && err.isAuthentication) this.tokens.invalidate();
      throw err;
    }
  }
}
