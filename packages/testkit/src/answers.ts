/**
 * What every refusal must look like (README "API", Bad input and faults): a 4xx, a JSON body with a `message` for people,
 * no stack trace or source path, and never the caller's token. Returns the problems found (empty
 * when the answer is a proper refusal) so tests can report all of them at once.
 */
export interface Answer {
  statusCode: number;
  body: string;
  headers: Record<string, string | string[] | number | undefined>;
}

const STACK_SIGNS = [/\n\s+at\s/, /\bat .+\.(?:ts|js|mjs):\d+/, /node_modules\//, /\/apps\/broker\//, /Error: .*\n/];

export function leakProblems(answer: Answer, secrets: string[] = []): string[] {
  const problems: string[] = [];
  for (const sign of STACK_SIGNS)
    if (sign.test(answer.body)) problems.push(`body looks like it carries a stack trace or source path (${sign})`);
  for (const secret of secrets) {
    if (secret.length >= 16 && answer.body.includes(secret)) problems.push('body echoes a token');
    // The signature alone identifies the token too.
    const signature = secret.split('.')[2];
    if (signature && signature.length >= 16 && answer.body.includes(signature)) problems.push("body echoes a token's signature");
  }
  return problems;
}

export function refusalProblems(answer: Answer, options: { status?: number | number[]; secrets?: string[] } = {}): string[] {
  const problems = leakProblems(answer, options.secrets);
  const allowed = options.status === undefined ? null : Array.isArray(options.status) ? options.status : [options.status];
  if (answer.statusCode < 400 || answer.statusCode >= 500) problems.push(`status ${answer.statusCode}, expected a 4xx`);
  else if (allowed && !allowed.includes(answer.statusCode))
    problems.push(`status ${answer.statusCode}, expected ${allowed.join(' or ')}`);
  // Whatever JSON the body holds; only an object's `message` counts.
  let parsed: { message?: unknown } | null | undefined;
  try {
    parsed = JSON.parse(answer.body) as { message?: unknown } | null;
  } catch {
    problems.push(`body is not JSON: ${answer.body.slice(0, 120)}`);
  }
  if (parsed !== undefined) {
    const message = parsed?.message;
    if (typeof message !== 'string' || message === '') problems.push('body has no `message`');
  }
  return problems;
}

/** For assertion messages: the answer in one line. */
export function describeAnswer(answer: Answer): string {
  return `${answer.statusCode} ${answer.body.slice(0, 300)}`;
}
