import type { RedisClient } from '../redis/client.js';
import { scriptDir, type ScriptCall } from '../redis/script-dir.js';

/** The Screwdriver side's Lua scripts (lua/), by file name. */
type Name =
  | 'claim-due'
  | 'notify-put'
  | 'notify-done'
  | 'timer-start'
  | 'timer-stop'
  | 'frozen-put'
  | 'frozen-drop'
  | 'frozen-retry'
  | 'start-note';

export const sdScripts = (redis: RedisClient): Record<Name, ScriptCall> =>
  scriptDir<Name>(redis, new URL('./lua/', import.meta.url));

/** claim-due's reply: `[now, id, ...fields, id, ...fields]` → entries. */
export function claimed(reply: unknown, fields: number): { now: number; entries: Array<{ id: string; values: string[] }> } {
  const items = reply as Array<string | number>;
  const entries: Array<{ id: string; values: string[] }> = [];
  for (let i = 1; i + fields < items.length + 1; i += fields + 1) {
    entries.push({ id: String(items[i]), values: items.slice(i + 1, i + 1 + fields).map(String) });
  }
  return { now: Number(items[0]), entries };
}
