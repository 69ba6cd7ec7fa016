import { useLiveStatus } from '../api/live';

const LABEL = {
  live: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  stopped: 'Offline',
} as const;

const TITLE = {
  live: 'Figures update every second from the broker',
  connecting: 'Opening the live connection',
  reconnecting: 'The live connection dropped; retrying with backoff. Figures refresh every 5 s meanwhile.',
  stopped: 'Not connected',
} as const;

export function LiveIndicator() {
  const status = useLiveStatus();
  return (
    <span className={`live live--${status}`} role="status" aria-live="polite" title={TITLE[status]}>
      <span className="live__dot" aria-hidden="true" />
      {LABEL[status]}
    </span>
  );
}
