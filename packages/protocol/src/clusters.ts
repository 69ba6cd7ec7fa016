import { Type, type Static } from 'typebox';
import { ClusterName } from './common.js';
import { MANAGED_BY, QUEUE_NAME_PATTERN, SIGN_ALGORITHMS } from './constants.js';

/** The claims a cluster's worker tokens must carry (README "API", Authentication). `expiresIn` is the longest allowed lifetime, in seconds. */
export const SignOption = Type.Object(
  {
    issuer: Type.String({ minLength: 1, maxLength: 200 }),
    subject: Type.String({ minLength: 1, maxLength: 200 }),
    audience: Type.String({ minLength: 1, maxLength: 200 }),
    expiresIn: Type.Integer({ minimum: 1, maximum: 86400 }),
    algorithm: Type.Enum(SIGN_ALGORITHMS),
  },
  { additionalProperties: false },
);
export type SignOption = Static<typeof SignOption>;

export const Provider = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 50 }),
    region: Type.String({ minLength: 1, maxLength: 50 }),
    accountId: Type.String({ minLength: 1, maxLength: 50 }),
  },
  { additionalProperties: true },
);
export type Provider = Static<typeof Provider>;

const editable = {
  scmOrganization: Type.String({ minLength: 1, maxLength: 200 }),
  scmContext: Type.String({ minLength: 1, maxLength: 200 }),
  isActive: Type.Boolean(),
  queue: Type.String({ minLength: 1, maxLength: 100, pattern: QUEUE_NAME_PATTERN }),
  managedBy: Type.Enum(MANAGED_BY),
  weightage: Type.Integer({ minimum: 0, maximum: 100 }),
  description: Type.String({ maxLength: 1000 }),
  maintainer: Type.String({ format: 'email', maxLength: 200 }),
  provider: Type.Union([Provider, Type.Null()]),
  publicKey: Type.String({ minLength: 1, maxLength: 20000 }),
  signOption: SignOption,
};

/** PUT/POST /v4/buildClusters. `queue` defaults to the name, `isActive` to true, `weightage` to 100. */
export const CreateClusterBody = Type.Object(
  {
    name: ClusterName,
    scmOrganization: editable.scmOrganization,
    scmContext: editable.scmContext,
    managedBy: editable.managedBy,
    publicKey: editable.publicKey,
    signOption: editable.signOption,
    isActive: Type.Optional(editable.isActive),
    queue: Type.Optional(editable.queue),
    weightage: Type.Optional(editable.weightage),
    description: Type.Optional(editable.description),
    maintainer: Type.Optional(editable.maintainer),
    provider: Type.Optional(editable.provider),
  },
  { additionalProperties: false },
);
export type CreateClusterBody = Static<typeof CreateClusterBody>;

/** PUT /v4/buildClusters/{name}: any field but the name; a new publicKey rotates the key. */
export const UpdateClusterBody = Type.Partial(Type.Omit(CreateClusterBody, ['name']), {
  additionalProperties: false,
  minProperties: 1,
});
export type UpdateClusterBody = Static<typeof UpdateClusterBody>;

export const ClusterNameParams = Type.Object({ name: ClusterName });

export const ListClustersQuery = Type.Object(
  {
    isActive: Type.Optional(Type.Boolean()),
    managedBy: Type.Optional(editable.managedBy),
    scmContext: Type.Optional(editable.scmContext),
  },
  { additionalProperties: false },
);
export type ListClustersQuery = Static<typeof ListClustersQuery>;

/** A cluster as the API shows it: no key text, only its fingerprint. */
export const BuildCluster = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  scmOrganization: Type.String(),
  scmContext: Type.String(),
  isActive: Type.Boolean(),
  authKeyFileName: Type.String(),
  signOptionFileName: Type.String(),
  queue: Type.String(),
  managedBy: Type.Enum(MANAGED_BY),
  weightage: Type.Integer(),
  description: Type.Union([Type.String(), Type.Null()]),
  maintainer: Type.Union([Type.String(), Type.Null()]),
  provider: Type.Union([Provider, Type.Null()]),
  publicKeyFingerprint: Type.String({ description: 'SHA-256 of the DER public key, hex, colon-separated' }),
  signOption: SignOption,
  /** While a rotation's grace period runs: the previous key's fingerprint and when it stops being accepted. */
  previousKey: Type.Union([
    Type.Object({ fingerprint: Type.String(), validUntil: Type.String({ format: 'date-time' }) }),
    Type.Null(),
  ]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type BuildCluster = Static<typeof BuildCluster>;
