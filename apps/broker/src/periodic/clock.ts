/**
 * The periodic schedule clock: real time, or (PERIODIC_CLOCK_RATE, tests only) a clock that runs
 * `rate` times as fast from the moment it is made, so an hourly cron ticks within seconds.
 */
export function scheduleClock(rate: number, realNow: () => number = Date.now): () => Date {
  if (rate === 1) return () => new Date(realNow());
  const origin = realNow();
  return () => new Date(origin + (realNow() - origin) * rate);
}
