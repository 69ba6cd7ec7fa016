/**
 * Tokens this replica already verified, until their `exp`, so a worker polling every few seconds
 * costs one signature check per token rather than one per request. Bounded: the oldest entry goes
 * when full. An entry only says "this signature and these claims were good"; callers re-check that
 * the key and options it was verified with are still the cluster's.
 */
export class TokenCache<T extends { expMs: number }> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly maxEntries = 10_000) {}

  get(token: string, now = Date.now()): T | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.expMs <= now) {
      this.entries.delete(token);
      return undefined;
    }
    return entry;
  }

  set(token: string, entry: T): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(token)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, entry);
  }

  /** Drops every entry the predicate matches (e.g. the tokens of a cluster whose keys changed). */
  deleteWhere(predicate: (entry: T) => boolean): void {
    for (const [token, entry] of this.entries) if (predicate(entry)) this.entries.delete(token);
  }

  get size(): number {
    return this.entries.size;
  }
}
