import { readFileSync } from 'node:fs';

/**
 * A process's limit of open files (soft, the one that applies; and hard), from /proc (Linux). Each
 * parked poll is a socket on both ends, so this limit, not memory, caps the polls one process holds.
 */
export function openFilesLimit(pid: number | 'self' = 'self'): { soft: number; hard: number } {
  const text = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  const value = (s: string | undefined) => (s === undefined || s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s));
  return { soft: value(match?.[1]), hard: value(match?.[2]) };
}

/** How many ephemeral ports a connection from one source address can take (ip_local_port_range). */
export function ephemeralPorts(): number {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return high! - low! + 1;
  } catch {
    return 28_232;
  }
}

/** The loopback source address of poll `index`: 127.0.0.1 for the first `perAddress`, then .2, .3 … */
export function sourceAddress(index: number, perAddress: number): string {
  return `127.0.0.${1 + Math.floor(index / perAddress)}`;
}
