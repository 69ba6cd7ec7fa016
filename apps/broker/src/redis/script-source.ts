/** What script-dir.ts and replica-wait.ts both use to call a script: its source, its arguments, NOSCRIPT. */
export type ScriptArg = string | number;
/** ioredis flattens an array argument (one level) into the command's arguments. */
export type ScriptCall = (...args: Array<ScriptArg | readonly ScriptArg[]>) => Promise<unknown>;

export interface ScriptSource {
  name: string;
  numberOfKeys: number | undefined;
  lua: string;
  sha: string;
}

/** Whether a reply error says the server does not have the script (it did not run). */
export const isNoScript = (err: unknown): boolean => err instanceof Error && err.message.startsWith('NOSCRIPT');

/**
 * EVALSHA's arguments after the sha: the key count (the file's, else the caller's first argument),
 * keys, arguments, array arguments flattened one level. Built on every script call, in one array
 * of its final length.
 */
export function scriptArgs(source: ScriptSource, args: ReadonlyArray<ScriptArg | readonly ScriptArg[]>): ScriptArg[] {
  const counted = source.numberOfKeys !== undefined;
  let length = counted ? 1 : 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    length += typeof arg === 'object' ? arg.length : 1;
  }
  const out = new Array<ScriptArg>(length);
  let at = 0;
  if (counted) out[at++] = source.numberOfKeys!;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (typeof arg === 'object') for (let j = 0; j < arg.length; j++) out[at++] = arg[j]!;
    else out[at++] = arg;
  }
  return out;
}
