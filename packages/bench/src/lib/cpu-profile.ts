import { readFileSync } from 'node:fs';
import { REPO_ROOT } from './repo.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FrameCost {
  frame: string;
  /** share of all non-idle samples, % */
  percent: number;
  ms: number;
}

export interface ProfileSummary {
  /** ms of CPU samples that were not idle */
  busyMs: number;
  /** ms of samples in the window looked at (the measured run, when a window was given) */
  windowMs: number;
  idlePercent: number;
  /** where the time is spent by its own frames (self time), top N */
  topSelf: FrameCost[];
  /** self time grouped by owner: broker file, npm package, node internals, GC */
  byOwner: FrameCost[];
  /** inclusive time of the broker's own functions (its hot paths), top N */
  topBrokerInclusive: FrameCost[];
}

/** Who a frame belongs to: a broker source file, an npm package, Node itself, or V8 bookkeeping. */
function owner(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1]!;
  if (path.startsWith('node:')) return 'node:' + (path.split(/[:/]/)[1] ?? 'internal');
  if (path.startsWith(REPO_ROOT)) return path.slice(REPO_ROOT.length);
  return path;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = owner(url, functionName);
  return `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
}

/** Reads a V8 .cpuprofile (node --cpu-prof) and says where the busy time went. */
export function summarizeProfile(file: string, top = 15, window?: { from: number; to: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMs = new Map<number, number>();
  // Sample times are on the monotonic clock in µs (V8 TimeTicks), like process.hrtime in the
  // bench; a window keeps only the measured run, not the broker's start-up and shutdown.
  let at = profile.startTime;
  let windowMs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.from || at > window.to)) continue;
    const id = profile.samples[i]!;
    selfMs.set(id, (selfMs.get(id) ?? 0) + delta / 1000);
    windowMs += delta / 1000;
  }
  const idleMs = [...selfMs].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, ms]) => a + ms, 0);
  const totalMs = [...selfMs.values()].reduce((a, b) => a + b, 0);
  const busyMs = totalMs - idleMs;
  const pct = (ms: number) => Math.round((1000 * ms) / busyMs) / 10;

  const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);
  const selfByFrame = new Map<string, number>();
  const selfByOwner = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') continue;
    add(selfByFrame, label(node), ms);
    add(selfByOwner, owner(node.callFrame.url, node.callFrame.functionName), ms);
  }

  // Inclusive time per broker function: walk the tree once, counting a function once per stack.
  const inclusive = new Map<string, number>();
  const brokerDist = `${REPO_ROOT}apps/broker/dist/`;
  const root = profile.nodes[0]!;
  const walk = (node: ProfileNode, onStack: Set<string>): number => {
    let total = selfMs.get(node.id) ?? 0;
    const key = label(node);
    const mine = node.callFrame.url.replace(/^file:\/\//, '').startsWith(brokerDist) && !onStack.has(key);
    if (mine) onStack.add(key);
    for (const child of node.children ?? []) total += walk(byId.get(child)!, onStack);
    if (mine) {
      onStack.delete(key);
      add(inclusive, key, total);
    }
    return node.callFrame.functionName === '(idle)' ? 0 : total;
  };
  walk(root, new Set());

  const ranked = (map: Map<string, number>, n: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([frame, ms]) => ({ frame, ms: Math.round(ms), percent: pct(ms) }));
  return {
    busyMs: Math.round(busyMs),
    windowMs: Math.round(windowMs),
    idlePercent: Math.round((1000 * idleMs) / totalMs) / 10,
    topSelf: ranked(selfByFrame, top),
    byOwner: ranked(selfByOwner, top),
    topBrokerInclusive: ranked(inclusive, top),
  };
}
