/** Human durations for an operator: "850 ms", "42 s", "3 min 20 s", "2 h 5 min", "3 d 4 h". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)} ms`;
  const s = Math.floor(abs / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** "in 42 s" / "42 s ago" relative to `now`. */
export function formatRelative(iso: string | number | null | undefined, now: number): string {
  if (iso === null || iso === undefined) return '—';
  const at = typeof iso === 'number' ? iso : Date.parse(iso);
  if (Number.isNaN(at)) return '—';
  const delta = at - now;
  if (Math.abs(delta) < 1000) return 'now';
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}

/** How long ago something happened; clock skew between broker and browser never makes it "in 1 s". */
export function formatAge(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '—';
  const age = now - at;
  return age < 2000 ? 'just now' : `${formatDuration(age)} ago`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function formatClock(at: number | string): string {
  const value = typeof at === 'number' ? at : Date.parse(at);
  return Number.isNaN(value) ? '—' : timeFormat.format(value);
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const value = Date.parse(iso);
  return Number.isNaN(value) ? iso : dateTimeFormat.format(value);
}

/** "12, 13, 14…": the first `most` ids, and an ellipsis when there are more. */
export function formatIdList(ids: readonly number[], most = 20): string {
  return `${ids.slice(0, most).join(', ')}${ids.length > most ? '…' : ''}`;
}

const numberFormat = new Intl.NumberFormat();
export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : numberFormat.format(n);
}

export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined) return '—';
  return perSecond >= 10 ? `${Math.round(perSecond)}/s` : `${perSecond.toFixed(1)}/s`;
}
