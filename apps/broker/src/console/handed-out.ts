/**
 * The start leases this replica handed out and has not seen settled: when each began (the poll's
 * Redis clock) and the worker that holds it. An ack or nack of one of them then needs no read of
 * the build's record for its run time and worker. Bounded: past `limit`, the oldest are forgotten,
 * and a forgotten lease (or one another replica handed out) is read from the record as before.
 */
export class HandedOut {
  private readonly leases = new Map<string, { at: number; worker: string }>();

  constructor(private readonly limit = 100_000) {}

  add(leaseId: string, at: number, worker: string): void {
    if (this.leases.size >= this.limit) {
      const oldest = this.leases.keys().next();
      if (!oldest.done) this.leases.delete(oldest.value);
    }
    this.leases.set(leaseId, { at, worker });
  }

  /** The lease's start and worker, forgotten as it is read (a lease settles once). */
  take(leaseId: string): { at: number; worker: string } | undefined {
    const lease = this.leases.get(leaseId);
    if (lease) this.leases.delete(leaseId);
    return lease;
  }

  get size(): number {
    return this.leases.size;
  }
}
