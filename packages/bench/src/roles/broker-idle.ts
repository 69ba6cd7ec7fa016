import http from 'node:http';
import { runRole } from '../lib/role.js';
import { mintClusterToken, type ClusterCredentials } from '../lib/keys.js';
import { sleep, wallNow } from '../lib/log.js';
import { sourceAddress } from '../lib/limits.js';

export interface IdleConfig {
  baseUrl: string;
  clusters: ClusterCredentials[];
  /** this client's polls: global indexes first .. first+polls-1 (poll i waits on cluster i % clusters) */
  first: number;
  polls: number;
  /** polls opened per step; the next step waits until these are on the wire */
  step: number;
  /** polls per loopback source address (127.0.0.1, .2, …), so ephemeral ports do not run short */
  pollsPerAddress: number;
}

export interface IdleResult {
  parked: number;
  secondsToPark: number;
  errors: number;
  firstError: string;
}

// Opens `polls` long-polls (waitMs 30000, spread over the clusters) and keeps them waiting: each
// 204 is followed by a new poll at once. Reports when all are on the wire, then lingers until stopped.
runRole<IdleConfig, IdleResult>(async (config, context) => {
  const url = new URL(config.baseUrl);
  // One agent per source address: its keep-alive sockets are reused by the re-polls.
  const agents = new Map<string, http.Agent>();
  const agentFor = (address: string) => {
    let agent = agents.get(address);
    if (!agent) {
      const room = config.pollsPerAddress + 100;
      agent = new http.Agent({ keepAlive: true, maxSockets: room, maxFreeSockets: room, localAddress: address });
      agents.set(address, agent);
    }
    return agent;
  };
  const tokens = config.clusters.map((c) => ({ name: c.name, token: mintClusterToken(c) }));
  let errors = 0;
  let firstError = '';
  let stopped = false;
  void context.stopped.then(() => {
    stopped = true;
    for (const agent of agents.values()) agent.destroy();
  });

  // Resolves once the request is fully written (it is then the broker's to hold); re-polls on each answer.
  const poll = (index: number): Promise<void> =>
    new Promise((sentResolve) => {
      const { name, token } = tokens[index % tokens.length]!;
      const body = JSON.stringify({ workerId: `idle-${index}`, max: 1, waitMs: 30000 });
      const req = http.request(
        {
          host: url.hostname,
          port: Number(url.port),
          method: 'POST',
          path: `/v4/queues/${name}/poll`,
          agent: agentFor(sourceAddress(index, config.pollsPerAddress)),
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${token}`,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 204 && res.statusCode !== 200) {
              errors++;
              firstError ||= `poll answered ${res.statusCode}`;
            }
            if (!stopped) void poll(index);
          });
        },
      );
      req.on('finish', () => sentResolve());
      req.on('error', (err) => {
        if (stopped) return;
        errors++;
        firstError ||= err.message;
        sentResolve();
      });
      req.end(body);
    });

  return async () => {
    const started = wallNow();
    const end = config.first + config.polls;
    for (let i = config.first; i < end; i += config.step) {
      const batch = Array.from({ length: Math.min(config.step, end - i) }, (_, k) => poll(i + k));
      await Promise.all(batch);
      // Leave the broker's accept queue room before the next step (default backlog 511).
      await sleep(20);
    }
    context.lingerAfterDone = true;
    return { parked: config.polls - errors, secondsToPark: (wallNow() - started) / 1000, errors, firstError };
  };
});
