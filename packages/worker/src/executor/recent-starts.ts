import type { BuildMessage } from './types.js';

/**
 * The start messages this worker handled lately, and which executor took each, so a stop
 * that arrives with fewer fields than executor-base asks can be completed and sent to the same
 * executor. Bounded: the oldest are forgotten first.
 */
export class RecentStarts {
  private readonly entries = new Map<number, { message: BuildMessage; executor: string }>();

  constructor(private readonly limit = 10_000) {}

  remember(message: BuildMessage, executor: string): void {
    this.entries.delete(message.buildId);
    this.entries.set(message.buildId, { message, executor });
    while (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value!);
  }

  get(buildId: number): { message: BuildMessage; executor: string } | undefined {
    return this.entries.get(buildId);
  }
}
