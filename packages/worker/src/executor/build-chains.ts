/**
 * Runs the operations of one build one after another, in arrival order, so a stop that comes
 * while its start is still being handled waits for that start to settle. Different builds run
 * side by side.
 */
export class BuildChains {
  private readonly tails = new Map<number, Promise<unknown>>();

  run<T>(buildId: number, operation: () => Promise<T>): Promise<T> {
    const before = this.tails.get(buildId) ?? Promise.resolve();
    const result = before.catch(() => undefined).then(operation);
    const tail = result.catch(() => undefined);
    this.tails.set(buildId, tail);
    void tail.then(() => {
      if (this.tails.get(buildId) === tail) this.tails.delete(buildId);
    });
    return result;
  }

  /** Whether something of this build is being handled now. */
  busy(buildId: number): boolean {
    return this.tails.has(buildId);
  }
}
