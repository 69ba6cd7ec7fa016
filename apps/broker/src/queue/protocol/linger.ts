import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** Below this share of the event loop busy, polls never linger; at HIGH they linger the longest. */
const LOW = 0.6;
const HIGH = 0.9;
const SAMPLE_MS = 100;

/**
 * How long a poll short of its batch waits for more builds of its queue (a woken one before it
 * reads the queue, one that emptied it with what it leased), in the spirit of Kafka's
 * fetch.min.bytes / fetch.max.wait.ms, but adaptive: nothing while this replica has time to spare
 * (a quiet queue's dispatch latency stays one round trip), and up to `maxMs` as its event loop
 * saturates. Then each poll, and its ack, carry more builds: with many clusters sharing a busy
 * broker, a poll per build (three requests a build) becomes a poll per batch.
 */
export class PollLinger {
  private busy = 0;
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly timer: NodeJS.Timeout | null = null;

  constructor(private readonly maxMs: number) {
    if (maxMs <= 0) return;
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  /** The event loop's busy share, smoothed over the last few samples. */
  get utilization(): number {
    return this.busy;
  }

  /** The linger a poll gets now, in ms. */
  get ms(): number {
    const x = (this.busy - LOW) / (HIGH - LOW);
    return x <= 0 ? 0 : Math.round(this.maxMs * Math.min(1, x));
  }

  /** Takes a sample (the timer does this every 100 ms). */
  sample(): void {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, this.last);
    this.last = now;
    this.busy = 0.5 * this.busy + 0.5 * utilization;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
