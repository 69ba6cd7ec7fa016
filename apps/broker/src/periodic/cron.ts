import cronParser from 'cron-parser';

/**
 * Screwdriver's `screwdriver.cd/buildPeriodically` crons, read as its queue-service reads them
 * (plugins/queue/utils/cron.js), so a job ticks at the same minute under the broker as under
 * Screwdriver:
 *
 * - exactly five fields (no seconds);
 * - the minute is always hashed: `H` or `H(a-b)` stays, anything else (`*`, `5`, `H/5`) becomes `H`,
 *   so a job runs at most once an hour, at a minute of its own;
 * - in every field `H` is a value picked by hashing the job id, `H(a-b)` one within a..b, and in
 *   `H/n` the `H` is replaced by that value (the start of the step);
 * - the hash is the npm package string-hash (djb2 with xor, read from the right) of the job id as
 *   decimal text, and `H` in a field of range min..max is `hash % (max + 1 - min) + min`;
 * - times are UTC.
 */

/** string-hash 1.x: 5381, then for each character from the last: h * 33 xor code, kept to 32 bits. */
export function stringHash(text: string): number {
  let hash = 5381;
  for (let i = text.length - 1; i >= 0; i--) hash = Math.imul(hash, 33) ^ text.charCodeAt(i);
  return hash >>> 0;
}

export class CronError extends Error {}

interface FieldRange {
  name: string;
  min: number;
  max: number;
}

const FIELDS: FieldRange[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 6 },
];

const hashed = (hash: number, min: number, max: number): number => (hash % (max + 1 - min)) + min;

const RANGE = /^H\((\d+)-(\d+)\)$/;

/** One field with its `H` forms replaced; other values pass through for cron-parser to judge. */
function transformField(field: string, range: FieldRange, hash: number): string {
  return field
    .split(',')
    .map((value) => {
      if (value === 'H') return String(hashed(hash, range.min, range.max));
      if (/H\/\d+/.test(value)) return value.replace('H', String(hashed(hash, range.min, range.max)));
      const custom = RANGE.exec(value);
      if (!custom) return value;
      const low = Number(custom[1]);
      const high = Number(custom[2]);
      if (low < range.min || high > range.max || low > high) {
        throw new CronError(`${value} is not a valid ${range.name} range: it must lie within ${range.min}-${range.max}`);
      }
      return String(hashed(hash, low, high));
    })
    .join(',');
}

/** The cron as Screwdriver runs it for this job: every `H` replaced, the minute hashed. Throws CronError. */
export function transformCron(cron: string, jobId: number): string {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) throw new CronError(`"${cron}" does not have exactly 5 fields (minute hour day month weekday)`);
  const hash = stringHash(String(jobId));
  if (fields[0] !== 'H' && !RANGE.test(fields[0] ?? '')) fields[0] = 'H';
  const expression = fields.map((field, i) => transformField(field, FIELDS[i]!, hash)).join(' ');
  try {
    cronParser.parseExpression(expression, { tz: 'UTC' });
  } catch (err) {
    throw new CronError(`"${cron}" is not a valid cron (as ${expression}): ${err instanceof Error ? err.message : String(err)}`);
  }
  return expression;
}

/** The first time of a transformed cron strictly after `after`. */
export function nextTick(expression: string, after: Date): Date {
  return cronParser.parseExpression(expression, { currentDate: after, tz: 'UTC' }).next().toDate();
}

/**
 * Where a schedule starts, as the queue-service starts it: the first tick more than five minutes
 * from now (it keeps a job that ran a little early from running twice in one tick).
 */
export const REGISTER_LOOKAHEAD_MS = 5 * 60_000;
export function firstTick(expression: string, now: Date): Date {
  return nextTick(expression, new Date(now.getTime() + REGISTER_LOOKAHEAD_MS));
}
