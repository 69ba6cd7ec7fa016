/**
 * The build every system carries: a Screwdriver start message of about 300 bytes of JSON, the
 * same size as the anchors in research/perf.md (295 bytes).
 */
export const SCM_CONTEXT = 'github:github.com';
export const SCM_ORGANIZATION = 'screwdriver-cd';

export function startMessage(buildId: number, cluster: string | null): Record<string, unknown> {
  return {
    buildId,
    jobId: 1000 + (buildId % 97),
    eventId: 50_000 + buildId,
    pipelineId: 4242,
    jobName: 'main',
    // No blockedBy: with it, the broker's build rules hold each job's next build until Screwdriver
    // stops the one before, and this load plays no Screwdriver stops. The queue is what is measured
    // here; the rules have their own tests (apps/broker/test/screwdriver, packages/screwdriver-compat).
    pipeline: { id: 4242, name: `${SCM_ORGANIZATION}/bench`, scmContext: SCM_CONTEXT },
    apiUri: 'https://api.sd.example',
    container: 'node:20',
    isPR: false,
    prNum: null,
    ...(cluster ? { buildClusterName: cluster } : {}),
  };
}

/** The same message for peers (no cluster name); kept within a few bytes of the broker's. */
export function peerPayload(buildId: number): Record<string, unknown> {
  return { ...startMessage(buildId, null), buildClusterName: 'c000' };
}
