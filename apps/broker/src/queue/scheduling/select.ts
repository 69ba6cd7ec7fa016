import type { Provider, StartMessage } from '@buildcluster/protocol';
import type { CachedCluster } from '../../clusters/types.js';
import { servesOrganization } from '../../console/screwdriver-shape.js';
import { Errors, type BrokerError } from '../../errors.js';

/** A start message's requested cluster refused: the status and message of its catalogue entry, and the error to throw. */
export class Refusal {
  readonly kind = 'refused';
  readonly statusCode: 400 | 403;
  readonly message: string;
  readonly #error: BrokerError;

  constructor(error: BrokerError & { statusCode: 400 | 403 }) {
    this.statusCode = error.statusCode;
    this.message = error.message;
    this.#error = error;
  }

  error(): BrokerError {
    return this.#error;
  }
}

/** Where a build goes (README "API", which cluster runs a build): a cluster, pending until one becomes eligible, or a refusal for the caller. */
export type Selection = { kind: 'cluster'; cluster: CachedCluster } | { kind: 'pending'; reason: string } | Refusal;

export const CLUSTER_ANNOTATION = 'screwdriver.cd/buildCluster';

/** The cluster a build asks for: `buildClusterName`, else the `screwdriver.cd/buildCluster` annotation. */
export function requestedClusterName(message: StartMessage): string | null {
  if (typeof message.buildClusterName === 'string' && message.buildClusterName !== '') return message.buildClusterName;
  const annotated = message.annotations?.[CLUSTER_ANNOTATION];
  return typeof annotated === 'string' && annotated !== '' ? annotated : null;
}

/**
 * The message as if it named no cluster. A pending build whose requested cluster was deleted
 * meanwhile is placed by this, as rule 2 places a build whose requested cluster is inactive.
 */
export function withoutRequestedCluster(message: StartMessage): StartMessage {
  const { buildClusterName: _name, annotations, ...rest } = message;
  if (!annotations || !(CLUSTER_ANNOTATION in annotations)) return rest;
  const { [CLUSTER_ANNOTATION]: _annotated, ...others } = annotations;
  return { ...rest, annotations: others };
}

/** The SCM organization of a build: the part of `pipeline.name` before the first `/`. */
export function scmOrganizationOf(message: StartMessage): string {
  const name = message.pipeline.name;
  const slash = name.indexOf('/');
  return slash === -1 ? name : name.slice(0, slash);
}

const refusal = (error: BrokerError) => new Refusal(error as BrokerError & { statusCode: 400 | 403 });

function describeProvider(provider: Provider | null | undefined): string {
  return provider ? `${provider.name}/${provider.region}/${provider.accountId}` : 'none';
}

/** A build with a provider block runs only on a cluster of the same provider, region and account; one without, only on one without. */
export function providerMatches(build: Provider | null | undefined, cluster: Provider | null): boolean {
  if (!build) return cluster === null;
  if (!cluster) return false;
  return build.name === cluster.name && build.region === cluster.region && build.accountId === cluster.accountId;
}

/** Weighted random pick; weight 0 means opt-in only and is never picked here. */
export function pickWeighted(candidates: CachedCluster[], random: () => number): CachedCluster | null {
  const weighted = candidates.filter((c) => c.weightage > 0);
  const total = weighted.reduce((sum, c) => sum + c.weightage, 0);
  if (total === 0) return null;
  let point = random() * total;
  for (const cluster of weighted) {
    point -= cluster.weightage;
    if (point < 0) return cluster;
  }
  return weighted[weighted.length - 1] ?? null;
}

/**
 * Picks the cluster for a start message. `clusters` holds every active cluster, plus the requested
 * one when it is inactive (so that rule 2 can tell "inactive, fall through" from "unknown").
 */
export function selectCluster(message: StartMessage, clusters: CachedCluster[], random: () => number = Math.random): Selection {
  const scmContext = message.pipeline.scmContext;
  const provider = message.provider ?? null;
  const requested = requestedClusterName(message);

  if (requested !== null) {
    const cluster = clusters.find((c) => c.name === requested);
    if (!cluster) {
      return refusal(new Errors.RequestedClusterUnknown({ cluster: requested }));
    }
    if (cluster.scmContext !== scmContext) {
      return refusal(
        new Errors.RequestedClusterScmContext({ cluster: requested, serves: cluster.scmContext, build: scmContext }),
      );
    }
    const organization = scmOrganizationOf(message);
    if (cluster.managedBy === 'external' && !servesOrganization(cluster.scmOrganization, organization)) {
      return refusal(
        new Errors.RequestedClusterOrganization({ cluster: requested, serves: cluster.scmOrganization, build: organization }),
      );
    }
    if (!providerMatches(provider, cluster.provider)) {
      return refusal(
        new Errors.RequestedClusterProvider({
          cluster: requested,
          has: describeProvider(cluster.provider),
          needs: describeProvider(provider),
        }),
      );
    }
    if (cluster.isActive) return { kind: 'cluster', cluster };
    // Inactive: fall through to the managed pool (rule 2).
  }

  const candidates = clusters.filter(
    (c) => c.isActive && c.managedBy === 'screwdriver' && c.scmContext === scmContext && providerMatches(provider, c.provider),
  );
  const picked = pickWeighted(candidates, random);
  if (picked) return { kind: 'cluster', cluster: picked };

  const why = [
    requested !== null ? `requested cluster "${requested}" is inactive and` : null,
    `no active screwdriver-managed cluster with weightage > 0 serves scmContext "${scmContext}"`,
    provider ? `with provider ${describeProvider(provider)}` : 'without a provider',
  ]
    .filter(Boolean)
    .join(' ');
  return { kind: 'pending', reason: why };
}
