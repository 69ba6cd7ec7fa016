import type { PollResult } from '@buildcluster/protocol';
import type { JsonAnswer, JsonClient } from './http.js';

/**
 * One long poll of a cluster's queue (`body` is the poll's JSON, made once per poller). A request
 * that fails once the run is `finished` answers null (the broker was stopped under it); before
 * that, the failure is thrown.
 */
export async function pollQueue(
  client: JsonClient,
  cluster: string,
  body: string,
  token: string,
  finished: () => boolean,
): Promise<JsonAnswer<PollResult> | null> {
  try {
    return await client.request<PollResult>('POST', `/v4/queues/${cluster}/poll`, { rawBody: body, token });
  } catch (err) {
    if (finished()) return null;
    throw err;
  }
}
