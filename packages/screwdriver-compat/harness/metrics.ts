/** One `broker_http_requests_total` series of the broker's /metrics. */
export interface RequestCount {
  method: string;
  route: string;
  status: number;
  count: number;
}

/** Reads the HTTP request counters (by method, route template and status) from Prometheus text. */
export function requestCounts(metricsText: string): RequestCount[] {
  const counts: RequestCount[] = [];
  for (const line of metricsText.split('\n')) {
    const match = /^broker_http_requests_total\{([^}]*)\}\s+([0-9.e+]+)$/.exec(line.trim());
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of match[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    counts.push({
      method: labels.method ?? '',
      route: labels.route ?? '',
      status: Number(labels.status),
      count: Number(match[2]),
    });
  }
  return counts;
}

/** How many more requests each series counted in `after` than in `before`. */
export function countsSince(before: RequestCount[], after: RequestCount[]): RequestCount[] {
  const key = (c: RequestCount) => `${c.method} ${c.route} ${c.status}`;
  const earlier = new Map(before.map((c) => [key(c), c.count]));
  return after.map((c) => ({ ...c, count: c.count - (earlier.get(key(c)) ?? 0) })).filter((c) => c.count > 0);
}
