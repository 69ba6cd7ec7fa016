/**
 * The broker's idea of "now". Lease deadlines and token lifetimes are broker times; a worker
 * whose clock is off by minutes would otherwise extend too late or send tokens that look expired.
 * The HTTP `Date` header only has whole seconds, so small differences are ignored.
 */
export class BrokerClock {
  private offset = 0;

  /** Offsets below this are within the header's resolution plus network time: treated as none. */
  static readonly IGNORE_BELOW_MS = 2000;

  now(): number {
    return Date.now() + this.offset;
  }

  /** Broker time minus local time, in ms (0 when the clocks agree within a couple of seconds). */
  get offsetMs(): number {
    return this.offset;
  }

  /** Learns from a response's `Date` header, received at local time `receivedAt`. */
  observe(dateHeader: string | null, receivedAt = Date.now()): void {
    if (!dateHeader) return;
    const serverSecond = Date.parse(dateHeader);
    if (Number.isNaN(serverSecond)) return;
    // The header truncates to the second: the broker's time was somewhere in [t, t + 1 s).
    const estimate = serverSecond + 500 - receivedAt;
    this.offset = Math.abs(estimate) < BrokerClock.IGNORE_BELOW_MS ? 0 : estimate;
  }
}
