import type { BuildEvent } from '@buildcluster/protocol';
import { createStore } from '../lib/store';

const KEEP = 200;

/** The latest build state changes seen on the socket, newest first (the Builds page's activity feed). */
export const recentBuildEvents = createStore<BuildEvent[]>([]);

export function recordBuildEvent(event: BuildEvent, store = recentBuildEvents): void {
  store.set((previous) => [event, ...previous].slice(0, KEEP));
}

/** The pending count from the latest stats event (builds with no eligible cluster); null before the first one. */
export const pendingCount = createStore<number | null>(null);
