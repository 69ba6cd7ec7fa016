import type { ProfileSummary } from '../lib/cpu-profile.js';
import type { BenchResults } from './results.js';

/** After the table: the machine and its load, and the broker's CPU profiles (stdout). */
export function printRunNotes(results: BenchResults): void {
  const env = results.environment;
  process.stdout.write(
    `\nmachine: ${env.cpu}, node ${env.node}, redis ${env.redis}, commit ${env.commit}; load average at start ${env.loadAverageAtStart}, at end ${env.loadAverageAtEnd}\n`,
  );
  if (Number(env.loadAverageAtStart?.split(' ')[0]) > 1.5) {
    process.stdout.write(
      'note: other processes were busy on this machine when the run started; the figures are noisy (compare ratios of one run)\n',
    );
  }
  if (results.profile) {
    const { summary, clusters, file } = results.profile;
    printProfile(`broker CPU profile during the measured run (${clusters} clusters`, summary, file);
  }
  if (results.profilePosts) {
    const { summary, file } = results.profilePosts;
    printProfile('broker CPU profile while posting alone (1 cluster, nobody polling', summary, file);
  }
}

function printProfile(title: string, s: ProfileSummary, file: string): void {
  process.stdout.write(`\n${title}, ${s.windowMs} ms sampled, ${s.idlePercent} % idle): ${file}\n`);
  process.stdout.write(
    `  self time by owner:   ${s.byOwner
      .slice(0, 8)
      .map((f) => `${f.frame} ${f.percent} %`)
      .join(', ')}\n`,
  );
  process.stdout.write(
    `  hottest frames:\n${s.topSelf
      .slice(0, 10)
      .map((f) => `    ${String(f.percent).padStart(5)} %  ${f.frame}`)
      .join('\n')}\n`,
  );
  process.stdout.write(
    `  broker functions, inclusive:\n${s.topBrokerInclusive
      .slice(0, 10)
      .map((f) => `    ${String(f.percent).padStart(5)} %  ${f.frame}`)
      .join('\n')}\n`,
  );
}
