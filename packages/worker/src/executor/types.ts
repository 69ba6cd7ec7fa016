/** A start or stop message as Screwdriver sends it (any other field passes through untouched). */
export type BuildMessage = Record<string, unknown> & { buildId: number };

/**
 * What the worker needs of a Screwdriver executor plugin (a subclass of screwdriver-executor-base):
 * `start`, `stop` and `verify` validate the message with screwdriver-data-schema, then act.
 */
export interface SdExecutor {
  start(config: BuildMessage): Promise<unknown>;
  stop(config: BuildMessage): Promise<unknown>;
  verify(config: BuildMessage): Promise<unknown>;
  /**
   * Optional hook: does this build already have its pod or container? A redelivered start asks it
   * first so a build is never started twice. Plugins may implement it; the worker supplies one for
   * executor-k8s (see has-build.ts).
   */
  hasBuild?(config: BuildMessage): Promise<boolean>;
}

/** One executor the worker loaded, by the name the config gives it. */
export interface NamedExecutor {
  name: string;
  executor: SdExecutor;
}

/** The executors of a worker: which one takes a message, and all of them (for the has-build check). */
export interface ExecutorSet {
  /** How the startup line describes them, e.g. `router (k8s, k8s-vm; default k8s)`. */
  description: string;
  /** The executor a start or stop goes to (the router's rules: annotation, weight, default). */
  pick(message: BuildMessage): NamedExecutor;
  all(): NamedExecutor[];
}
