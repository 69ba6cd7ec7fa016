import type { BuildCluster, CreateClusterBody, SignOption, UpdateClusterBody } from '@buildcluster/protocol';
// Schema-free modules: the protocol's values without the schema library.
import {
  CLUSTER_NAME_PATTERN as CLUSTER_NAME_SOURCE,
  MANAGED_BY,
  QUEUE_NAME_PATTERN,
  SIGN_ALGORITHMS,
  type ManagedBy,
  type SignAlgorithm,
} from '@buildcluster/protocol/constants';
import { conventionalSignOption, DEFAULT_TOKEN_SECONDS } from '@buildcluster/protocol/conventions';

/**
 * Form state of the register/edit page, and its conversion to the API bodies of the /v4/buildClusters routes (README "API"). Types
 * come from @buildcluster/protocol, values from its /constants and /conventions entry points only:
 * its schemas would bundle the schema library.
 */
export { MANAGED_BY, SIGN_ALGORITHMS };
export const CLUSTER_NAME_PATTERN = new RegExp(CLUSTER_NAME_SOURCE);
const QUEUE_PATTERN = new RegExp(QUEUE_NAME_PATTERN);

export interface ClusterFormValues {
  name: string;
  scmOrganization: string;
  scmContext: string;
  managedBy: ManagedBy;
  isActive: boolean;
  queue: string;
  weightage: string;
  description: string;
  maintainer: string;
  hasProvider: boolean;
  providerName: string;
  providerRegion: string;
  providerAccountId: string;
  publicKey: string;
  issuer: string;
  subject: string;
  audience: string;
  expiresIn: string;
  algorithm: SignAlgorithm;
}

export type FieldErrors = Partial<Record<FormField, string>>;

/** Field paths as the API names them (dots for nesting); the form's inputs are keyed by these. */
export const FORM_FIELDS = [
  'name',
  'scmOrganization',
  'scmContext',
  'managedBy',
  'isActive',
  'queue',
  'weightage',
  'description',
  'maintainer',
  'provider',
  'provider.name',
  'provider.region',
  'provider.accountId',
  'publicKey',
  'signOption',
  'signOption.issuer',
  'signOption.subject',
  'signOption.audience',
  'signOption.expiresIn',
  'signOption.algorithm',
] as const;
export type FormField = (typeof FORM_FIELDS)[number];

// keygen's convention (conventionalSignOption): a worker set up from the README matches the form.
export const DEFAULT_EXPIRES_IN = DEFAULT_TOKEN_SECONDS;
export const DEFAULT_ALGORITHM: SignAlgorithm = 'ES256';
export const DEFAULT_SCM_CONTEXT = 'github:github.com';

/** The signOption claims a new cluster starts with, derived from its name until the user edits them. */
export function signOptionDefaults(name: string): Pick<ClusterFormValues, 'issuer' | 'subject' | 'audience'> {
  const n = name.trim();
  return n === ''
    ? { issuer: '', subject: '', audience: '' }
    : (({ issuer, subject, audience }) => ({ issuer, subject, audience }))(conventionalSignOption(n));
}

export function emptyForm(): ClusterFormValues {
  return {
    name: '',
    scmOrganization: '',
    scmContext: DEFAULT_SCM_CONTEXT,
    managedBy: 'screwdriver',
    isActive: true,
    queue: '',
    weightage: '100',
    description: '',
    maintainer: '',
    hasProvider: false,
    providerName: 'aws',
    providerRegion: '',
    providerAccountId: '',
    publicKey: '',
    ...signOptionDefaults(''),
    expiresIn: String(DEFAULT_EXPIRES_IN),
    algorithm: DEFAULT_ALGORITHM,
  };
}

export function formFromCluster(cluster: BuildCluster): ClusterFormValues {
  return {
    name: cluster.name,
    scmOrganization: cluster.scmOrganization,
    scmContext: cluster.scmContext,
    managedBy: cluster.managedBy,
    isActive: cluster.isActive,
    queue: cluster.queue,
    weightage: String(cluster.weightage),
    description: cluster.description ?? '',
    maintainer: cluster.maintainer ?? '',
    hasProvider: cluster.provider !== null,
    providerName: cluster.provider?.name ?? 'aws',
    providerRegion: cluster.provider?.region ?? '',
    providerAccountId: cluster.provider?.accountId ?? '',
    publicKey: '',
    issuer: cluster.signOption.issuer,
    subject: cluster.signOption.subject,
    audience: cluster.signOption.audience,
    expiresIn: String(cluster.signOption.expiresIn),
    algorithm: cluster.signOption.algorithm,
  };
}

function signOptionOf(v: ClusterFormValues): SignOption {
  return {
    issuer: v.issuer.trim(),
    subject: v.subject.trim(),
    audience: v.audience.trim(),
    expiresIn: Number(v.expiresIn),
    algorithm: v.algorithm,
  };
}

function providerOf(v: ClusterFormValues): CreateClusterBody['provider'] {
  if (!v.hasProvider) return null;
  return { name: v.providerName.trim(), region: v.providerRegion.trim(), accountId: v.providerAccountId.trim() };
}

export function toCreateBody(v: ClusterFormValues): CreateClusterBody {
  const body: CreateClusterBody = {
    name: v.name.trim(),
    scmOrganization: v.scmOrganization.trim(),
    scmContext: v.scmContext.trim(),
    managedBy: v.managedBy,
    isActive: v.isActive,
    weightage: Number(v.weightage),
    publicKey: normalizePem(v.publicKey),
    signOption: signOptionOf(v),
  };
  if (v.queue.trim()) body.queue = v.queue.trim();
  if (v.description.trim()) body.description = v.description.trim();
  if (v.maintainer.trim()) body.maintainer = v.maintainer.trim();
  if (v.hasProvider) body.provider = providerOf(v);
  return body;
}

/** Only what changed, so an edit never rewrites fields someone else changed meanwhile. */
export function toUpdateBody(v: ClusterFormValues, original: BuildCluster): UpdateClusterBody {
  const body: UpdateClusterBody = {};
  const text = (value: string) => value.trim();
  if (text(v.scmOrganization) !== original.scmOrganization) body.scmOrganization = text(v.scmOrganization);
  if (text(v.scmContext) !== original.scmContext) body.scmContext = text(v.scmContext);
  if (v.managedBy !== original.managedBy) body.managedBy = v.managedBy;
  if (v.isActive !== original.isActive) body.isActive = v.isActive;
  if (text(v.queue) !== original.queue && text(v.queue) !== '') body.queue = text(v.queue);
  if (Number(v.weightage) !== original.weightage) body.weightage = Number(v.weightage);
  if (text(v.description) !== (original.description ?? '')) body.description = text(v.description);
  if (text(v.maintainer) !== (original.maintainer ?? '') && text(v.maintainer) !== '') body.maintainer = text(v.maintainer);
  const provider = providerOf(v);
  if (JSON.stringify(provider) !== JSON.stringify(pickProvider(original.provider))) body.provider = provider;
  const signOption = signOptionOf(v);
  if (JSON.stringify(signOption) !== JSON.stringify(pickSignOption(original.signOption))) body.signOption = signOption;
  if (v.publicKey.trim()) body.publicKey = normalizePem(v.publicKey);
  return body;
}

function pickProvider(p: BuildCluster['provider']) {
  return p ? { name: p.name, region: p.region, accountId: p.accountId } : null;
}

function pickSignOption(s: SignOption): SignOption {
  return { issuer: s.issuer, subject: s.subject, audience: s.audience, expiresIn: s.expiresIn, algorithm: s.algorithm };
}

export function normalizePem(text: string): string {
  return `${text.trim().replace(/\r\n/g, '\n')}\n`;
}

/**
 * Checks the browser can make without the broker. The broker stays the authority: whatever
 * passes here and is still wrong comes back as a 400 naming the field, shown at that field.
 */
export function validate(v: ClusterFormValues, mode: 'create' | 'edit', original?: BuildCluster): FieldErrors {
  const errors: FieldErrors = {};
  const required = (field: FormField, value: string, label: string) => {
    if (value.trim() === '') errors[field] = `${label} is required`;
  };
  if (mode === 'create') {
    if (v.name.trim() === '') errors.name = 'Name is required';
    else if (!CLUSTER_NAME_PATTERN.test(v.name.trim()))
      errors.name = 'Use letters, digits, dot, dash or underscore, starting with a letter or digit (at most 100)';
  }
  required('scmOrganization', v.scmOrganization, 'SCM organization');
  required('scmContext', v.scmContext, 'SCM context');
  if (v.queue.trim() !== '' && !QUEUE_PATTERN.test(v.queue.trim())) errors.queue = 'Use letters, digits and . _ : - only';
  const weight = Number(v.weightage);
  if (v.weightage.trim() === '' || !Number.isInteger(weight) || weight < 0 || weight > 100)
    errors.weightage = 'Weightage is a whole number from 0 to 100';
  if (v.maintainer.trim() !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.maintainer.trim()))
    errors.maintainer = 'Enter an email address';
  if (mode === 'edit' && original?.maintainer && v.maintainer.trim() === '')
    errors.maintainer = 'The maintainer can be changed but not removed';
  if (v.hasProvider) {
    required('provider.name', v.providerName, 'Provider name');
    required('provider.region', v.providerRegion, 'Region');
    required('provider.accountId', v.providerAccountId, 'Account id');
  }
  if (mode === 'create') required('publicKey', v.publicKey, 'Public key');
  if (/PRIVATE KEY-----/.test(v.publicKey))
    errors.publicKey = 'This is a private key. Paste the public key; the private key never leaves the cluster.';
  required('signOption.issuer', v.issuer, 'Issuer');
  required('signOption.subject', v.subject, 'Subject');
  required('signOption.audience', v.audience, 'Audience');
  const expires = Number(v.expiresIn);
  if (!Number.isInteger(expires) || expires < 1 || expires > 86400)
    errors['signOption.expiresIn'] = 'Token lifetime is a whole number of seconds from 1 to 86400';
  return errors;
}

/**
 * Reads what `buildcluster-worker keygen` writes: a sign-option JSON file or the registration body.
 * Returns the form fields it fills, or throws with a message for the user.
 */
export function valuesFromKeygenJson(text: string): Partial<ClusterFormValues> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('The file is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error('The file is not a JSON object');
  const doc = parsed as Record<string, unknown>;
  const sign = (typeof doc.signOption === 'object' && doc.signOption !== null ? doc.signOption : doc) as Record<string, unknown>;
  const out: Partial<ClusterFormValues> = {};
  const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
  if (str(sign.issuer)) out.issuer = str(sign.issuer);
  if (str(sign.subject)) out.subject = str(sign.subject);
  if (str(sign.audience)) out.audience = str(sign.audience);
  if (typeof sign.expiresIn === 'number') out.expiresIn = String(sign.expiresIn);
  if (SIGN_ALGORITHMS.includes(sign.algorithm as SignAlgorithm)) out.algorithm = sign.algorithm as SignAlgorithm;
  if (str(doc.name)) out.name = str(doc.name);
  if (str(doc.publicKey)) out.publicKey = str(doc.publicKey);
  if (str(doc.scmOrganization)) out.scmOrganization = str(doc.scmOrganization);
  if (str(doc.scmContext)) out.scmContext = str(doc.scmContext);
  if (MANAGED_BY.includes(doc.managedBy as ManagedBy)) out.managedBy = doc.managedBy as ManagedBy;
  if (Object.keys(out).length === 0) throw new Error('No signOption or cluster fields found in the file');
  return out;
}

/** The id of a field's input (and the prefix of its hint and error ids). */
export const inputId = (field: FormField) => `field-${field.replace(/\./g, '-')}`;
