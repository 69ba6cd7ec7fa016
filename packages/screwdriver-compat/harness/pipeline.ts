import type { Stack } from './stack.js';

/** A user's token and a pipeline created by that user from a repository of the SCM stand-in (`POST /v4/pipelines`). */
export async function createPipeline(
  stack: Stack,
  repo: string,
  username = 'alice',
): Promise<{ user: string; pipelineId: number }> {
  const user = await stack.api.userToken(username);
  const created = await stack.api.request('POST', '/v4/pipelines', user, { checkoutUrl: `https://scm.test/${repo}.git` });
  if (created.status !== 201) throw new Error(`POST /v4/pipelines answered ${created.status}: ${JSON.stringify(created.body)}`);
  return { user, pipelineId: (created.body as { id: number }).id };
}
