import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { createStore, useStore, type Store } from '../lib/store';
import { LiveConnection, type LiveStatus } from './events';

const LiveContext = createContext<Store<LiveStatus>>(createStore<LiveStatus>('stopped'));

/** Opens the event socket for the signed-in token and closes it on sign-out. */
export function LiveProvider({ token, children }: { token: string; children: ReactNode }) {
  const client = useQueryClient();
  const [status] = useState(() => createStore<LiveStatus>('connecting'));
  useEffect(() => {
    const connection = new LiveConnection({ client, token, status });
    connection.start();
    return () => connection.stop();
  }, [client, token, status]);
  return <LiveContext.Provider value={status}>{children}</LiveContext.Provider>;
}

export function useLiveStatus(): LiveStatus {
  return useStore(useContext(LiveContext));
}

/** Polling interval for queries the socket keeps fresh: none while live, a slow poll while it is down. */
export function useFallbackInterval(ms = 5000): number | false {
  return useLiveStatus() === 'live' ? false : ms;
}
