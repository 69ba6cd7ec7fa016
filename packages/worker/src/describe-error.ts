import { ERROR_CODES } from '@buildcluster/protocol/constants';
import { AbortedError, BrokerHttpError, BrokerUnreachableError } from './errors.js';

/**
 * One sentence for a person: what the broker said (status, code and its own message), or why it
 * could not be reached. Never includes the token.
 */
export function describeError(err: unknown, brokerUrl: string): string {
  if (err instanceof BrokerHttpError) {
    const said = `${err.status} ${err.code}: ${err.brokerMessage}`;
    if (err.status === 401)
      return `the broker did not accept the cluster token (${said}); check that the key and sign option are the ones registered for this cluster`;
    if (err.code === ERROR_CODES.WRONG_CLUSTER_TOKEN) {
      return `the broker refused this cluster's token (${said}); is --cluster the cluster the key was registered for?`;
    }
    if (err.status === 403) return `the broker refused this cluster (${said})`;
    if (err.status === 404) return `the broker has no such route (${said}); is ${brokerUrl} the broker's URL?`;
    return `the broker answered ${said}`;
  }
  if (err instanceof BrokerUnreachableError) return `cannot reach the broker at ${brokerUrl} (${err.reason})`;
  if (err instanceof AbortedError) return 'aborted';
  return (err as Error)?.message ?? String(err);
}
