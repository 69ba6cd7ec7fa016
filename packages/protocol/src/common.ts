import { Type, type Static } from 'typebox';
import { CLUSTER_NAME_PATTERN } from './constants.js';

/** Body of every 4xx/5xx answer. `code` is stable (see the broker's error catalogue); `message` is for people. */
export const ErrorBody = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
});
export type ErrorBody = Static<typeof ErrorBody>;

export const ClusterName = Type.String({ pattern: CLUSTER_NAME_PATTERN, minLength: 1, maxLength: 100 });

/** Screwdriver build ids are positive integers; the broker keeps them as numbers. */
export const BuildId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
