import { Type, type Static } from 'typebox';

/** Body of every 4xx/5xx answer. `code` is stable (see the broker's error catalogue); `message` is for people. */
export const ErrorBody = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
});
export type ErrorBody = Static<typeof ErrorBody>;

export const CLUSTER_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$';
export const ClusterName = Type.String({ pattern: CLUSTER_NAME_PATTERN, minLength: 1, maxLength: 100 });

/** Screwdriver build ids are positive integers; the broker keeps them as numbers. */
export const BuildId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

/** `viewer`: a cluster maintainer who sees everything the admin sees and changes nothing. */
export const API_SCOPES = ['admin', 'sdapi', 'viewer'] as const;
export type ApiScope = (typeof API_SCOPES)[number];
