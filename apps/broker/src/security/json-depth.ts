import fp from 'fastify-plugin';
import { Errors } from '../errors.js';

/**
 * JSON nested deeper than MAX_JSON_DEPTH answers 400 before anything recurses over it: the
 * parser's prototype-poisoning scan, the schema validator and the input guard all walk a body
 * recursively, and 20,000 levels (40 KB) overflow the stack there (a 500). The scan is one pass
 * over the text with a counter, so it costs the same at any body size a route allows.
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Whether the text opens at most `limit` objects and arrays in all, counted by the engine's own search. */
function opensAtMost(text: string, limit: number): boolean {
  let opens = 0;
  for (const bracket of ['{', '[']) {
    for (let i = text.indexOf(bracket); i !== -1; i = text.indexOf(bracket, i + 1)) if (++opens > limit) return false;
  }
  return true;
}

/** The refusal for a text nested deeper than the limit, else null. Brackets inside strings do not count. */
export function jsonDepthProblem(text: string): string | null {
  // Most bodies open far fewer brackets than the limit, in all: then no nesting can pass it.
  if (opensAtMost(text, MAX_JSON_DEPTH)) return null;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > MAX_JSON_DEPTH) return `body is nested deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return null;
}

/** Replaces the JSON body parser with one that checks the nesting first, then parses as Fastify does. */
export default fp(
  async (app) => {
    const parse = app.getDefaultJsonParser(
      app.initialConfig.onProtoPoisoning ?? 'error',
      app.initialConfig.onConstructorPoisoning ?? 'ignore',
    );
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      const text = body as string;
      const problem = jsonDepthProblem(text);
      if (problem) return done(new Errors.BadRequest(problem), undefined);
      // Fastify's default parser answers through `done`; it returns nothing to wait for.
      void parse(request, text, done);
    });
  },
  { name: 'json-depth' },
);
