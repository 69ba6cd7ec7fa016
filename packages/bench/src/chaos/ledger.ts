import { appendFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The chaos ledger: append-only JSON lines, one file per worker process (and one for the
 * producer). Each line is written synchronously before the worker acts on what it records, so
 * a SIGKILL can cut off at most the line being written (a partial last line is tolerated).
 */

/** A worker received a build in a poll answer. `index` is its place in that answer. */
export interface DeliveryLine {
  e: 'delivery';
  worker: string;
  cluster: string;
  buildId: number;
  attempt: number;
  leaseId: string;
  leaseExpiresAt: string;
  /** per-process poll answer number and the job's index in it */
  poll: number;
  index: number;
  t: number;
  /** a stop message (Screwdriver stopped the build) or the build's start (absent: start) */
  type?: 'start' | 'stop';
}

/** The broker's answer to an ack of one lease (`acked`, or a rejection reason). */
export interface AckLine {
  e: 'ack';
  worker: string;
  cluster: string;
  buildId: number;
  leaseId: string;
  answer: string;
  t: number;
  type?: 'start' | 'stop';
}

/** An ack that got no answer (the broker or Redis was down); the SDK retries it. */
export interface AckErrorLine {
  e: 'ack-error';
  worker: string;
  cluster: string;
  buildId: number;
  leaseId: string;
  error: string;
  t: number;
}

/** A poll that got no jobs but an error (a 503 while Redis is away, or no answer); the SDK polls again. */
export interface PollErrorLine {
  e: 'poll-error';
  worker: string;
  cluster: string;
  error: string;
  t: number;
}

/** The producer's successful post of a build: `seq` is its place in its cluster's post order. */
export interface PostLine {
  e: 'post';
  buildId: number;
  cluster: string;
  seq: number;
  status: number;
  state: string;
  /** how many requests this post took (retries after a failure mid-flight) */
  tries: number;
  firstSentAt: number;
  answeredAt: number;
  /** false: not part of the FIFO check (builds spread over several clusters) */
  fifo?: false;
}

/** A post attempt that failed (no answer, or a 5xx); the same buildId is posted again. */
export interface PostFailureLine {
  e: 'post-failure';
  buildId: number;
  cluster: string;
  replica: number;
  error: string;
  t: number;
}

/** Screwdriver's stop of a build that ran (DELETE /v1/queue/message), as the rules client sent it. */
export interface StopLine {
  e: 'stop';
  buildId: number;
  jobId: number;
  /** when it was first sent: the end of the build's run for the rules check */
  sentAt: number;
  answeredAt: number;
  status: number;
  tries: number;
  /** a replica was SIGKILLed right after this stop was first sent to it */
  killedReplica?: number;
}

/** A stop attempt that failed (no answer, or a 5xx); it is sent again. */
export interface StopFailureLine {
  e: 'stop-failure';
  buildId: number;
  replica: number;
  error: string;
  t: number;
}

/** A fault the orchestrator injected (for the timeline). */
export interface FaultLine {
  e: 'fault';
  what: string;
  t: number;
  /** acked builds (by the ledger) when it happened */
  progress: number;
}

export type LedgerLine =
  DeliveryLine | AckLine | AckErrorLine | PollErrorLine | PostLine | PostFailureLine | StopLine | StopFailureLine | FaultLine;

export class LedgerWriter {
  constructor(readonly file: string) {}

  write(lines: LedgerLine | LedgerLine[]): void {
    const batch = Array.isArray(lines) ? lines : [lines];
    if (batch.length === 0) return;
    appendFileSync(this.file, batch.map((l) => JSON.stringify(l)).join('\n') + '\n');
  }
}

export interface ReadLedger {
  lines: LedgerLine[];
  /** lines cut short by a kill (only ever the last line of a file) */
  partialLines: number;
  files: number;
}

/** Reads every *.jsonl in a folder. */
export function readLedgerDir(dir: string): ReadLedger {
  const out: ReadLedger = { lines: [], partialLines: 0, files: 0 };
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.jsonl')) continue;
    out.files++;
    const text = readFileSync(join(dir, name), 'utf8');
    for (const raw of text.split('\n')) {
      if (raw === '') continue;
      try {
        out.lines.push(JSON.parse(raw) as LedgerLine);
      } catch {
        out.partialLines++;
      }
    }
  }
  return out;
}

/** Follows a folder of ledgers as they grow (for progress), reading only new bytes. */
export class LedgerTail {
  private readonly offsets = new Map<string, number>();
  private readonly carry = new Map<string, string>();
  readonly ackedBuilds = new Set<number>();
  /** buildId → when its start was first answered acked */
  readonly ackedAt = new Map<number, number>();

  constructor(private readonly dir: string) {}

  poll(): void {
    if (!existsSync(this.dir)) return;
    for (const name of readdirSync(this.dir)) {
      if (!name.startsWith('worker-') || !name.endsWith('.jsonl')) continue;
      const file = join(this.dir, name);
      const buffer = readFileSync(file);
      const offset = this.offsets.get(file) ?? 0;
      if (buffer.length <= offset) continue;
      const text = (this.carry.get(file) ?? '') + buffer.subarray(offset).toString('utf8');
      this.offsets.set(file, buffer.length);
      const parts = text.split('\n');
      this.carry.set(file, parts.pop() ?? '');
      for (const raw of parts) {
        try {
          const line = JSON.parse(raw) as LedgerLine;
          if (line.e === 'ack' && line.answer === 'acked' && line.type !== 'stop') {
            this.ackedBuilds.add(line.buildId);
            if (!this.ackedAt.has(line.buildId)) this.ackedAt.set(line.buildId, line.t);
          }
        } catch {
          // a line cut by a kill; the final verification counts these
        }
      }
    }
  }
}
