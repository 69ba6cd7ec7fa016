import { describeError } from '../describe-error.js';

/**
 * Whether the worker can reach the broker with a token it accepts: the outcome of the last poll.
 * Healthy from the first answered poll until a poll fails, and again at the next answered one.
 */
export class BrokerHealth {
  private ok = false;
  private why = 'no poll answered yet';
  private since = Date.now();

  constructor(private readonly brokerUrl: string) {}

  pollAnswered(): void {
    if (!this.ok) this.since = Date.now();
    this.ok = true;
    this.why = 'the broker answers polls';
  }

  pollFailed(err: unknown): void {
    if (this.ok) this.since = Date.now();
    this.ok = false;
    this.why = describeError(err, this.brokerUrl);
  }

  snapshot(): { healthy: boolean; reason: string; since: string } {
    return { healthy: this.ok, reason: this.why, since: new Date(this.since).toISOString() };
  }
}
