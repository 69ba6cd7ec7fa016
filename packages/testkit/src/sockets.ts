import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';

/**
 * A loopback port that was free a moment ago: for a child process that must be told its port, or,
 * left unused, a port nothing listens on.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * TCP connections this process holds to a port (e.g. Redis's 6379): sockets of this process
 * (its /proc fds) matched to the kernel's TCP table. Independent of what other tests run.
 */
export function connectionsTo(port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // fd closed meanwhile
    }
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address rem_address st ... inode (col 9); state 01 = ESTABLISHED
      if (cols.length > 9 && cols[2]?.endsWith(`:${hexPort}`) && cols[3] === '01' && inodes.has(cols[9]!)) count++;
    }
  }
  return count;
}
