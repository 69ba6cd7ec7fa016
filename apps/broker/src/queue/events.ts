import type { BuildState } from '@buildcluster/protocol';
import type { Bus } from '../plugins/app/bus.js';
import type { JobEvent } from './storage/replies.js';

/** A state change as seen by the replica that made it. */
export interface BuildChange {
  buildId: number;
  state: BuildState;
  cluster: string | null;
  detail?: string;
}

/**
 * Build state changes: to the dashboard's live view over the bus (fire and forget, never awaited on
 * a hot path; the bus drops them while no dashboard is open), and to this replica's listeners, which
 * hear each change once, from the replica that made it, watched or not.
 */
export class BuildEvents {
  private readonly listeners: Array<(change: BuildChange) => void> = [];

  constructor(private readonly bus: Bus) {}

  /** Called for every change this replica makes; a listener must not throw or block. */
  onChange(listener: (change: BuildChange) => void): void {
    this.listeners.push(listener);
  }

  publish(buildId: number, state: BuildState, cluster: string | null, detail?: string): void {
    for (const listener of this.listeners) listener(detail ? { buildId, state, cluster, detail } : { buildId, state, cluster });
    this.bus.publish({
      type: 'build',
      buildId,
      state,
      cluster,
      ...(detail ? { detail } : {}),
      at: new Date().toISOString(),
    });
  }

  /** Changes reported by a script; a stop message's own changes do not change the build's state. */
  fromJobs(cluster: string | null, events: JobEvent[]): void {
    for (const e of events) {
      if (e.type === 'start' && e.state !== 'settled') this.publish(e.buildId, e.state, cluster, e.detail || undefined);
    }
  }
}
