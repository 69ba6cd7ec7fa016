import type { FastifyRequest } from 'fastify';
import { Errors } from '../errors.js';

/**
 * Screwdriver's registry describes a cluster with `scmOrganizations` (a list; empty means any
 * organization) and `managedByScrewdriver`; the broker with `scmOrganization` and `managedBy`.
 * Scripts written for Screwdriver's `/v4/buildclusters` send the former: they are mapped here,
 * before validation, so the broker's own fields and checks apply to both shapes.
 */
export const ANY_ORGANIZATION = '*';

export function fromScrewdriverOrganizations(orgs: string[]): string {
  const clean = [...new Set(orgs.map((o) => o.trim()).filter(Boolean))];
  return clean.length === 0 ? ANY_ORGANIZATION : clean.join(',');
}

/** Screwdriver's weightage may be a decimal; the broker keeps whole percents (0–100). */
export function fromScrewdriverWeightage(w: number): number {
  return Math.max(0, Math.min(100, Math.round(w)));
}

/** preValidation of the registry's create and update routes. */
export async function acceptScrewdriverShape(request: FastifyRequest): Promise<void> {
  const body = request.body as Record<string, unknown> | null | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return;
  if ('scmOrganizations' in body) {
    if ('scmOrganization' in body)
      throw new Errors.ConflictingFields({ given: 'scmOrganization', alternative: 'scmOrganizations' });
    const orgs = body.scmOrganizations;
    if (!Array.isArray(orgs) || !orgs.every((o) => typeof o === 'string')) {
      throw new Errors.InvalidField({
        field: 'body/scmOrganizations',
        expected: 'an array of organization names (empty: any organization)',
      });
    }
    delete body.scmOrganizations;
    body.scmOrganization = fromScrewdriverOrganizations(orgs);
  }
  if ('managedByScrewdriver' in body) {
    if ('managedBy' in body) throw new Errors.ConflictingFields({ given: 'managedBy', alternative: 'managedByScrewdriver' });
    if (typeof body.managedByScrewdriver !== 'boolean')
      throw new Errors.InvalidField({ field: 'body/managedByScrewdriver', expected: 'true or false' });
    body.managedBy = body.managedByScrewdriver ? 'screwdriver' : 'external';
    delete body.managedByScrewdriver;
  }
  if (typeof body.weightage === 'number' && !Number.isInteger(body.weightage)) {
    body.weightage = fromScrewdriverWeightage(body.weightage);
  }
  // Screwdriver's `group` has no column here; it is kept out rather than refused.
  if ('group' in body) delete body.group;
}

/** Whether a cluster's scmOrganization (one name, a comma list, or `*`) serves an organization. */
export function servesOrganization(scmOrganization: string, organization: string): boolean {
  if (scmOrganization === ANY_ORGANIZATION) return true;
  return scmOrganization.split(',').some((o) => o.trim() === organization);
}
