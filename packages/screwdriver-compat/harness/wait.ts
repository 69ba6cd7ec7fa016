import { waitFor as poll } from '@buildcluster/testkit/wait';

/** The test kit's waitFor, checking every 200 ms by default: each check is a call to the real API. */
export const waitFor = <T>(
  what: Parameters<typeof poll<T>>[0],
  check: Parameters<typeof poll<T>>[1],
  timeoutMs: number,
  everyMs = 200,
): Promise<T> => poll(what, check, timeoutMs, everyMs);
