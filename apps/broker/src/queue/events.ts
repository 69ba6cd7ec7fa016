import type { BuildState } from '@buildcluster/protocol';
import type { Bus } from '../plugins/bus.js';
import type { JobEvent } from './store.js';

/** Build state changes for the dashboard's live view: fire and forget, never awaited on a hot path. */
export class BuildEvents {
  constructor(private readonly bus: Bus) {}

  publish(buildId: number, state: BuildState, cluster: string | null, detail?: string): void {
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
