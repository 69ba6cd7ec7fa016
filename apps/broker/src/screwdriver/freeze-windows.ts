import cronParser from 'cron-parser';

/**
 * Screwdriver's freeze windows, read as its queue-service reads them: each window is a five-field
 * cron expression in UTC (minute hour day-of-month month day-of-week, one of the two day fields
 * `?`), and a time is inside it when every field matches. The window ends at the first value the
 * first restricted field (minute, then hour, day of month, day of week, month) leaves out after the
 * current one: the next minute not listed, else the next hour, and so on; the finer fields are
 * reset to 0 (seconds are kept, as the queue-service keeps them). With several windows the end is
 * pushed through all of them, as many passes as there are windows.
 */
export class FreezeWindowError extends Error {}

interface Fields {
  minute: readonly number[];
  hour: readonly number[];
  dayOfMonth: readonly number[];
  month: readonly number[];
  dayOfWeek: readonly number[];
}

const parsed = new Map<string, { fields: Fields; anyDayOfMonth: boolean; anyDayOfWeek: boolean }>();

function parse(window: string): { fields: Fields; anyDayOfMonth: boolean; anyDayOfWeek: boolean } {
  const known = parsed.get(window);
  if (known) return known;
  const parts = window.trim().split(/\s+/);
  if (parts.length !== 5) throw new FreezeWindowError(`freeze window "${window}" must have exactly 5 fields`);
  const [minute, hour, dom, month, dow] = parts as [string, string, string, string, string];
  if (dom !== '?' && dow !== '?') {
    throw new FreezeWindowError(`freeze window "${window}" cannot restrict both the day of the month and the day of the week`);
  }
  const expression = `${minute} ${hour} ${dom === '?' ? '*' : dom} ${month} ${dow === '?' ? '*' : dow}`;
  let fields: Fields;
  try {
    fields = cronParser.parseExpression(expression).fields as unknown as Fields;
  } catch (err) {
    throw new FreezeWindowError(`freeze window "${window}" is not a cron expression: ${(err as Error).message}`);
  }
  const entry = { fields, anyDayOfMonth: dom === '?', anyDayOfWeek: dow === '?' };
  if (parsed.size > 1000) parsed.clear();
  parsed.set(window, entry);
  return entry;
}

/** The first value of [from, to] after `current` that `listed` lacks, else the first one before it; null when none is missing. */
function nextMissing(listed: readonly number[], current: number, from: number, to: number): number | null {
  const present = new Set(listed);
  for (let v = current + 1; v <= to; v += 1) if (!present.has(v)) return v;
  for (let v = from; v < current; v += 1) if (!present.has(v)) return v;
  return null;
}

/** Whether `at` (UTC) is inside the window. */
export function insideWindow(window: string, at: Date): boolean {
  const { fields, anyDayOfMonth, anyDayOfWeek } = parse(window);
  return (
    fields.minute.includes(at.getUTCMinutes()) &&
    fields.hour.includes(at.getUTCHours()) &&
    (anyDayOfMonth || fields.dayOfMonth.includes(at.getUTCDate())) &&
    (anyDayOfWeek || fields.dayOfWeek.includes(at.getUTCDay())) &&
    fields.month.includes(at.getUTCMonth() + 1)
  );
}

/** The end of one window for a time inside it (`at` itself when outside). Returns a new Date. */
export function windowEnd(window: string, at: Date): Date {
  const end = new Date(at.getTime());
  if (!insideWindow(window, at)) return end;
  const { fields, anyDayOfMonth, anyDayOfWeek } = parse(window);
  const minute = nextMissing(fields.minute, at.getUTCMinutes(), 0, 59);
  if (minute !== null) {
    end.setUTCMinutes(minute);
    if (minute < at.getUTCMinutes()) end.setUTCHours(end.getUTCHours() + 1);
    return end;
  }
  const hour = nextMissing(fields.hour, at.getUTCHours(), 0, 23);
  if (hour !== null) {
    end.setUTCHours(hour);
    if (hour < at.getUTCHours()) end.setUTCDate(end.getUTCDate() + 1);
    end.setUTCMinutes(0);
    return end;
  }
  const day = anyDayOfMonth ? null : nextMissing(fields.dayOfMonth, at.getUTCDate(), 1, 31);
  if (day !== null) {
    end.setUTCDate(day);
    if (day < at.getUTCDate()) end.setUTCMonth(end.getUTCMonth() + 1);
    end.setUTCHours(0, 0);
    return end;
  }
  const weekday = anyDayOfWeek ? null : nextMissing(fields.dayOfWeek, at.getUTCDay(), 0, 6);
  if (weekday !== null) {
    end.setUTCDate(end.getUTCDate() + weekday - at.getUTCDay() + (weekday < at.getUTCDay() ? 7 : 0));
    end.setUTCHours(0, 0);
    return end;
  }
  const month = nextMissing(fields.month, at.getUTCMonth() + 1, 1, 12);
  if (month !== null) {
    end.setUTCMonth(month - 1);
    if (month < at.getUTCMonth() + 1) end.setUTCFullYear(end.getUTCFullYear() + 1);
    end.setUTCHours(0, 0);
    end.setUTCDate(1);
  }
  return end;
}

/** The first time at or after `at` outside every window (as the queue-service's timeOutOfWindows). */
export function outOfWindows(windows: readonly string[], at: Date): Date {
  let end = new Date(at.getTime());
  for (let pass = 0; pass < windows.length; pass += 1) {
    for (const window of windows) end = windowEnd(window, end);
  }
  return end;
}

/** Throws a FreezeWindowError naming the first window that is not one. */
export function checkWindows(windows: readonly string[]): void {
  for (const window of windows) parse(window);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** A time as the queue-service prints it (a JavaScript Date in a UTC process): `Wed Dec 02 2026 01:30:00 GMT+0000 (Coordinated Universal Time)`. */
export function queueServiceTime(at: Date): string {
  const date = `${DAYS[at.getUTCDay()]} ${MONTHS[at.getUTCMonth()]} ${two(at.getUTCDate())} ${at.getUTCFullYear()}`;
  const time = `${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())}`;
  return `${date} ${time} GMT+0000 (Coordinated Universal Time)`;
}

/** What Screwdriver shows on a frozen build. */
export const frozenMessage = (until: Date): string => `Blocked by freeze window, re-enqueued to ${queueServiceTime(until)}`;
