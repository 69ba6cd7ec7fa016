import { PLACEHOLDER_PREFIX } from '@buildcluster/protocol';
import { Errors } from '../errors.js';

/**
 * `buildcluster-worker keygen` writes `<REPLACE: ...>` where only the cluster's admin knows the
 * value. A registration still holding one would register a cluster no build ever matches, so it
 * is refused, naming the field.
 */
/** Registration bodies are a few levels deep; deeper input is left to schema validation to refuse. */
const MAX_DEPTH = 8;

export function refusePlaceholders(body: unknown, path = 'body', depth = 0): void {
  if (depth > MAX_DEPTH) return;
  if (typeof body === 'string') {
    if (body.trimStart().startsWith(PLACEHOLDER_PREFIX)) {
      throw new Errors.PlaceholderLeft({ field: path, value: body.slice(0, 80) });
    }
    return;
  }
  if (Array.isArray(body)) body.forEach((v, i) => refusePlaceholders(v, `${path}/${i}`, depth + 1));
  else if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body)) refusePlaceholders(v, `${path}/${k}`, depth + 1);
  }
}
