import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonClient } from '../lib/http.js';
import { readLedgerDir } from './ledger.js';
import { formatVerdict, type ChaosEvents } from './report.js';
import { failuresDuring, formatFailovers } from './failover-report.js';
import { verifyRules } from './rules-verify.js';
import { buildsWithoutAckedAnswer, verifyLedger } from './verify.js';

export interface FinishInput {
  ledgerDir: string;
  runDir: string;
  admin: JsonClient;
  adminToken: string;
  killedWorkers: Set<string>;
  foreignClusters: Set<string>;
  isRules: (buildId: number) => boolean;
  /** builds the producers were to post */
  total: number;
  events: ChaosEvents;
  options: unknown;
  /** wall-clock start of the run (the failover table gives times from it) */
  startedAt: number;
}

/** Reads the ledger, asks the broker about builds without an acked answer, prints the verdict; the exit code. */
export async function finishRun(input: FinishInput): Promise<number> {
  const { admin, adminToken, events } = input;
  const ledger = readLedgerDir(input.ledgerDir);
  const brokerStates = new Map<number, string>();
  for (const buildId of buildsWithoutAckedAnswer(ledger.lines)) {
    const answer = await admin.request<{ state: string }>('GET', `/v4/builds/${buildId}`, {
      token: adminToken,
      timeoutMs: 10_000,
    });
    brokerStates.set(buildId, answer.status === 200 ? answer.body.state : `HTTP ${answer.status}`);
  }
  const queues = await admin.request('GET', '/v4/queues', { token: adminToken, timeoutMs: 10_000 });
  const verdict = verifyLedger({
    lines: ledger.lines,
    partialLines: ledger.partialLines,
    killedWorkers: input.killedWorkers,
    brokerStates,
    foreignClusters: input.foreignClusters,
  });
  const rules = verifyRules(ledger.lines, input.isRules);
  verdict.violations.push(...rules.violations);
  const notPosted = input.total - verdict.figures.builds;
  const timeline = events.timeline.filter((line) => !line.includes('worker'));
  process.stdout.write(`\nfaults (besides a worker SIGKILLed every second):\n${timeline.map((l) => `  ${l}`).join('\n')}\n`);
  if (events.redisCluster) {
    const { failovers, ...run } = events.redisCluster;
    process.stdout.write(`\n${formatFailovers(failovers, ledger.lines, { ...run, startedAt: input.startedAt })}\n`);
  }
  process.stdout.write(`\n${formatVerdict(verdict, events, rules.figures)}\n`);
  if (notPosted > 0) process.stdout.write(`\nNOT POSTED: ${notPosted} builds never got a 200/201\n`);
  writeFileSync(
    join(input.runDir, 'verdict.json'),
    JSON.stringify(
      {
        options: input.options,
        figures: verdict.figures,
        rules: rules.figures,
        violations: verdict.violations,
        events,
        failovers: events.redisCluster?.failovers.map((f) => ({ ...f, failures: failuresDuring(ledger.lines, f) })),
        queues: queues.body,
      },
      null,
      2,
    ),
  );
  process.stdout.write(`\nledger and logs: ${input.runDir}\n`);
  const failed = verdict.violations.length > 0 || notPosted > 0;
  process.stdout.write(
    failed
      ? '\nchaos: FAILED\n'
      : '\nchaos: passed — every build acked exactly once, none lost, none delivered after its ack or to another organization, FIFO held; no two builds that block each other ran at once, every blocked build was released\n',
  );
  return failed ? 1 : 0;
}
