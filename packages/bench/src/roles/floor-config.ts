export interface FloorConfig {
  port: number;
  /**
   * The durable floor: each post also runs one Lua script on this Redis before it is answered
   * (the message appended to a stream, the build's state set in a hash), the least a queue that
   * keeps what it accepted must do. Without it, the bare floor: nothing behind the route.
   */
  redisUrl?: string;
}

/** Where the durable floor writes; the scenario deletes both keys after the run. */
export const FLOOR_KEYS = { stream: 'floor:s', states: 'floor:b' } as const;
