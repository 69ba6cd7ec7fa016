/**
 * The small start message (about 300 bytes of JSON, the size of the anchors in research/perf.md):
 * the dispatch latency and the blockedBy cost post it. The end-to-end rows carry
 * `screwdriverStartMessage`, the ~2 KB Screwdriver really sends.
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

/** The message the peers carry: the broker's ~2 KB one, to the first cluster's name, so both move the same bytes. */
export function peerPayload(buildId: number): Record<string, unknown> {
  return screwdriverStartMessage(buildId, 'c000');
}

/** Bytes of JSON of one end-to-end build (ids change the length by a few bytes at most). */
export function endToEndPayloadBytes(): number {
  return Buffer.byteLength(JSON.stringify(screwdriverStartMessage(1, 'c000')));
}

/**
 * The same build as `startMessage`, with Screwdriver's rules on: a job of its own, a blockedBy of
 * three jobs (its own and two that never run) and collapse on. Nothing blocks it, so the broker's
 * rules let it go and queue it: what this adds is the cost of deciding (rules-admit, the journal).
 */
export function rulesMessage(buildId: number, cluster: string | null): Record<string, unknown> {
  const jobId = 1_000_000 + buildId;
  return {
    ...startMessage(buildId, cluster),
    jobId,
    blockedBy: [jobId, 1, 2],
    annotations: { 'screwdriver.cd/collapseBuilds': true },
  };
}

/** A stand-in for a build's JWT as Screwdriver puts it in the message: RS256 header, claims, 256-byte signature. */
const BUILD_TOKEN = [
  Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url'),
  Buffer.from(
    JSON.stringify({
      username: '123456789',
      scmContext: SCM_CONTEXT,
      scope: ['temporal'],
      isPR: false,
      jobId: 123456,
      pipelineId: 4242,
      eventId: 9876543,
      configPipelineId: null,
      iat: 1_800_000_000,
      exp: 1_800_007_200,
    }),
  ).toString('base64url'),
  Buffer.alloc(256, 0x5a).toString('base64url'),
].join('.');

/**
 * The start message as Screwdriver's API sends it (screwdriver-models' build.start: the build
 * record with its meta, the job's state and permutation annotations, the pipeline, a build token),
 * about 2 KB. No blockedBy entries: as in `startMessage`, this load plays no Screwdriver stops.
 */
export function screwdriverStartMessage(buildId: number, cluster: string | null): Record<string, unknown> {
  const small = startMessage(buildId, cluster);
  const sha = (buildId * 2654435761).toString(16).padStart(8, '0').repeat(5).slice(0, 40);
  return {
    ...small,
    build: {
      id: buildId,
      jobId: small.jobId,
      eventId: small.eventId,
      parentBuildId: null,
      number: 1_764_000_000_000 + buildId,
      container: 'node:20',
      cause: 'Started by github:someone',
      sha,
      createTime: '2026-12-02T05:00:00.000Z',
      status: 'QUEUED',
      statusMessage: null,
      environment: { NODE_ENV: 'test', SD_ZIP_ARTIFACTS: 'false' },
      meta: {
        build: { buildId: String(buildId), jobId: String(small.jobId), eventId: String(small.eventId), jobName: 'main', sha },
        commit: {
          author: { name: 'Some One', username: 'someone', url: 'https://github.com/someone' },
          message: 'Make the queue spread over the shards of a Redis Cluster (#1234)',
          url: `https://github.com/${SCM_ORGANIZATION}/bench/commit/${sha}`,
        },
        event: { creator: 'someone', type: 'pipeline' },
      },
      templateId: null,
      buildClusterName: cluster,
    },
    jobState: 'ENABLED',
    jobArchived: false,
    annotations: { 'screwdriver.cd/cpu': 'HIGH', 'screwdriver.cd/ram': 'HIGH', 'screwdriver.cd/timeout': 60 },
    blockedBy: [],
    causeMessage: 'Started by github:someone',
    freezeWindows: [],
    token: BUILD_TOKEN,
    prParentJobId: null,
  };
}
