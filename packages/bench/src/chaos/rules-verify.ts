import type { LedgerLine, StopLine } from './ledger.js';
import { blockEachOther, rulesJobOf } from './rules-flow.js';
import type { Violation } from './verify.js';

/**
 * The rules' part of the verdict, from the ledger alone. A rules build runs, for this check, from
 * its first delivery (never before the broker let it go) to the moment its stop was first sent
 * (never after the broker settled it); two builds whose jobs block each other must not have
 * overlapping runs. Every build that was answered `blocked` must have been released (delivered
 * and acked), and every rules build that ran must have been stopped.
 */
export interface RulesFigures {
  builds: number;
  answeredBlocked: number;
  stopped: number;
  stopFailures: number;
  /** stops right after which their replica was SIGKILLed */
  killsDuringRelease: number;
  /** builds with a run interval checked; the others lack a delivery line (cut by a kill) */
  runsChecked: number;
  runsUnchecked: number;
  pairsCompared: number;
}

export type RulesViolationKind = Extract<Violation['kind'], 'rules-overlap' | 'blocked-never-released' | 'never-stopped'>;

interface Run {
  buildId: number;
  jobId: number;
  from: number;
  to: number;
}

export function verifyRules(
  lines: LedgerLine[],
  isRules: (buildId: number) => boolean,
): { figures: RulesFigures; violations: Violation[] } {
  const violations = new Map<RulesViolationKind, Violation>();
  const bump = (kind: RulesViolationKind, example: string) => {
    const v = violations.get(kind) ?? { kind, count: 0, examples: [] };
    v.count++;
    if (v.examples.length < 5) v.examples.push(example);
    violations.set(kind, v);
  };
  const posted = new Map<number, string>();
  const firstDelivery = new Map<number, number>();
  const acked = new Set<number>();
  const stops = new Map<number, StopLine>();
  let stopFailures = 0;
  for (const line of lines) {
    if (line.e === 'stop-failure') stopFailures++;
    if (!('buildId' in line) || !isRules(line.buildId)) continue;
    if (line.e === 'post') posted.set(line.buildId, line.state);
    if (line.e === 'delivery' && line.type !== 'stop')
      firstDelivery.set(line.buildId, Math.min(line.t, firstDelivery.get(line.buildId) ?? Infinity));
    if (line.e === 'ack' && line.type !== 'stop' && line.answer === 'acked') acked.add(line.buildId);
    if (line.e === 'stop' && !stops.has(line.buildId)) stops.set(line.buildId, line);
  }

  const runs: Run[] = [];
  let unchecked = 0;
  for (const [buildId, state] of posted) {
    const from = firstDelivery.get(buildId);
    const stop = stops.get(buildId);
    if (state === 'blocked' && from === undefined && !acked.has(buildId))
      bump('blocked-never-released', `build ${buildId} (job ${rulesJobOf(buildId)}) was answered blocked and never delivered`);
    if (!stop) {
      if (from !== undefined || acked.has(buildId)) bump('never-stopped', `build ${buildId} ran and was never stopped`);
      continue;
    }
    if (from === undefined) unchecked++;
    else runs.push({ buildId, jobId: rulesJobOf(buildId), from, to: stop.sentAt });
  }

  // Every pair of runs of jobs that block each other, compared once.
  runs.sort((a, b) => a.from - b.from);
  let pairs = 0;
  for (let i = 0; i < runs.length; i++) {
    const a = runs[i]!;
    for (let j = i + 1; j < runs.length && runs[j]!.from < a.to; j++) {
      const b = runs[j]!;
      if (!blockEachOther(a.jobId, b.jobId)) continue;
      bump(
        'rules-overlap',
        `build ${b.buildId} (job ${b.jobId}) was delivered ${Math.round(a.to - b.from)} ms before build ${a.buildId} (job ${a.jobId}), which blocks it, was stopped`,
      );
    }
  }
  // How many pairs of runs block each other (the sweep skips those that cannot overlap).
  const byJob = new Map<number, number>();
  for (const r of runs) byJob.set(r.jobId, (byJob.get(r.jobId) ?? 0) + 1);
  for (const [job, n] of byJob) {
    const partnerRuns = [...byJob].find(([other]) => other !== job && blockEachOther(job, other))?.[1] ?? 0;
    pairs += (n * (n - 1)) / 2 + (n * partnerRuns) / 2;
  }

  return {
    figures: {
      builds: posted.size,
      answeredBlocked: [...posted.values()].filter((s) => s === 'blocked').length,
      stopped: stops.size,
      stopFailures,
      killsDuringRelease: [...stops.values()].filter((s) => s.killedReplica !== undefined).length,
      runsChecked: runs.length,
      runsUnchecked: unchecked,
      pairsCompared: Math.round(pairs),
    },
    violations: [...violations.values()],
  };
}
