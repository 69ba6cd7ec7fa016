import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Errors } from '../../errors.js';

/**
 * The `?type=` bodies are not start or stop messages, so their routes check them here, each
 * refusal naming the field at fault (`body/job/id must be ...`).
 */
export function checked<T>(schema: TSchema, what: string): (body: unknown) => T {
  const check = Compile(schema);
  return (body) => {
    if (check.Check(body)) return body as T;
    const first = [...check.Errors(body)][0];
    const field = first?.instancePath ? `body${first.instancePath}` : 'body';
    throw new Errors.ValidationFailed({ problem: `${field} ${first?.message ?? `is not ${what}`}` });
  };
}
