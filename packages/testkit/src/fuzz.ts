import type { JsonSchema, RouteSpec } from './openapi.js';

export { seededRandom } from './random.js';

/**
 * Bad inputs generated from a route's schemas: wrong types, missing and extra fields, values just
 * past each boundary (and on it), pattern breakers (control and unicode characters, path tricks),
 * prototype-pollution keys and broken JSON. Seeded, so a failing case can be replayed.
 */
export interface FuzzCase {
  label: string;
  /** raw path segments, already URL-encoded */
  params: Record<string, string>;
  query: Record<string, string>;
  body?: unknown;
  /** sent as is instead of JSON.stringify(body) (broken JSON, duplicate or __proto__ keys) */
  rawBody?: string;
}

export interface FuzzHints {
  /** valid path parameter values (e.g. a registered cluster) */
  params: Record<string, string>;
  /** valid values for fields the generator cannot invent (a PEM key, a signOption) */
  fields: Record<string, unknown>;
  /** fields whose valid values make a request slow (a long poll's waitMs): only invalid values are tried */
  slowFields: string[];
}

const PATTERN_BREAKERS = [
  ' ',
  'a b',
  '../etc/passwd',
  'a/b',
  '..%2fx',
  '\u0000',
  'nul\u0000byte',
  'tab\there',
  'new\nline',
  'ü',
  '\u202eevil',
  '💥',
  '<script>',
  "a'; DROP TABLE x;--",
];
const PATH_TRICKS = [
  '..',
  '..%2f..%2fetc%2fpasswd',
  '%2e%2e',
  '%2e%2e%2f',
  'a%2Fb',
  'a%252fb',
  '%00',
  'a%00b',
  '%0d%0aX-Injected:%201',
  '%F0%9F%92%A5',
  '%E2%80%AE',
  'x'.repeat(300),
  '%C0%AF',
  '%ZZ',
];

function typeOf(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null');
  if (schema.type) return schema.type;
  if (schema.properties) return 'object';
  return undefined;
}

function firstOption(schema: JsonSchema): JsonSchema | undefined {
  const options = schema.anyOf ?? schema.oneOf;
  return options?.find((o) => o.type !== 'null') ?? options?.[0];
}

export function validValue(schema: JsonSchema, hints: FuzzHints, name?: string): unknown {
  if (name !== undefined && name in hints.fields) return hints.fields[name];
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const option = firstOption(schema);
  if (option) return validValue(option, hints, name);
  switch (typeOf(schema)) {
    case 'string': {
      if (schema.format === 'email') return 'fuzz@example.com';
      if (schema.format === 'date-time') return new Date().toISOString();
      const min = schema.minLength ?? 0;
      const max = schema.maxLength ?? 1000;
      const candidates = ['fuzz', 'a', 'fuzz-1', 'A1', 'x'.repeat(Math.max(1, min))];
      const pattern = schema.pattern ? new RegExp(schema.pattern, 'u') : null;
      return (
        candidates.find((c) => c.length >= min && c.length <= max && (!pattern || pattern.test(c))) ??
        'a'.repeat(Math.max(1, min))
      );
    }
    case 'integer':
    case 'number': {
      const lo = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : undefined);
      const hi = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : undefined);
      if (lo !== undefined) return lo;
      return hi !== undefined ? Math.min(1, hi) : 1;
    }
    case 'boolean':
      return true;
    case 'array': {
      const n = Math.min(Math.max(schema.minItems ?? 0, 1), schema.maxItems ?? 1);
      return Array.from({ length: n }, () => validValue(schema.items ?? {}, hints));
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = schema.properties ?? {};
      for (const key of schema.required ?? []) out[key] = validValue(props[key] ?? {}, hints, key);
      // Optional fields with a hint too (waitMs: 0 keeps a valid poll from waiting 20 s).
      for (const key of Object.keys(props)) if (!(key in out) && key in hints.fields) out[key] = hints.fields[key];
      for (const key of Object.keys(props)) {
        if (Object.keys(out).length >= (schema.minProperties ?? 0)) break;
        if (!(key in out)) out[key] = validValue(props[key]!, hints, key);
      }
      return out;
    }
    default:
      return 'fuzz';
  }
}

interface Variant {
  label: string;
  value: unknown;
  /** true when the value is valid (on a boundary): worth sending, a 2xx is fine */
  valid?: boolean;
}

/** Values that break `schema` (and a few that sit exactly on its boundaries). */
export function badValues(schema: JsonSchema, hints: FuzzHints, name = ''): Variant[] {
  const out: Variant[] = [];
  const slow = hints.slowFields.includes(name);
  const type = typeOf(schema) ?? typeOf(firstOption(schema) ?? {});
  const wrongTypes: Record<string, unknown[]> = {
    string: [12345, true, null, {}, []],
    integer: ['abc', 1.5, null, {}, [], 'NaN', '1e400'],
    number: ['abc', null, {}, [], 'Infinity'],
    boolean: ['maybe', 2, null, {}, []],
    array: [{}, 'x', 7, null],
    object: [[], 'x', 7, null, true],
  };
  for (const value of wrongTypes[type ?? 'string'] ?? []) out.push({ label: `wrong type ${JSON.stringify(value)}`, value });
  if (schema.enum || schema.const !== undefined)
    out.push({ label: 'not one of the allowed values', value: 'not-an-allowed-value' });
  if (type === 'string') {
    const pattern = schema.pattern ? new RegExp(schema.pattern, 'u') : null;
    if (schema.minLength && schema.minLength > 0)
      out.push({ label: `shorter than minLength ${schema.minLength}`, value: 'a'.repeat(schema.minLength - 1) });
    const max = schema.maxLength ?? 5000;
    out.push({ label: `longer than maxLength ${max}`, value: 'a'.repeat(max + 1), valid: schema.maxLength === undefined });
    if (schema.maxLength !== undefined && (!pattern || pattern.test('a')))
      out.push({ label: `exactly maxLength ${max}`, value: 'a'.repeat(max), valid: true });
    for (const breaker of PATTERN_BREAKERS) {
      if (!pattern || !pattern.test(breaker))
        out.push({ label: `pattern breaker ${JSON.stringify(breaker)}`, value: breaker, valid: !pattern });
    }
  }
  if (type === 'integer' || type === 'number') {
    if (schema.minimum !== undefined) {
      out.push({ label: `below minimum ${schema.minimum}`, value: schema.minimum - 1 });
      if (!slow) out.push({ label: `at minimum ${schema.minimum}`, value: schema.minimum, valid: true });
    }
    if (schema.maximum !== undefined) {
      out.push({ label: `above maximum ${schema.maximum}`, value: schema.maximum + 1 });
      if (!slow) out.push({ label: `at maximum ${schema.maximum}`, value: schema.maximum, valid: true });
    }
    out.push({ label: 'huge', value: 2 ** 64 }, { label: 'negative huge', value: -(2 ** 63) });
  }
  if (type === 'array') {
    if (schema.minItems) out.push({ label: `fewer than minItems ${schema.minItems}`, value: [] });
    if (schema.maxItems !== undefined) {
      out.push({
        label: `more than maxItems ${schema.maxItems}`,
        value: Array.from({ length: schema.maxItems + 1 }, () => validValue(schema.items ?? {}, hints)),
      });
    }
    for (const bad of badValues(schema.items ?? {}, hints).slice(0, 3))
      out.push({ label: `an item: ${bad.label}`, value: [bad.value] });
  }
  return out;
}

/** A value as path or query text; null for what has no text form there (null, objects, arrays). */
const scalarText = (value: unknown): string | null =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;

/** The cases of one route: the valid base request, then one broken part at a time. */
export function casesFor(route: RouteSpec, hints: FuzzHints, random: () => number, limit: number): FuzzCase[] {
  const params: Record<string, string> = {};
  const query: Record<string, string> = {};
  for (const p of route.parameters) {
    if (p.in === 'path') params[p.name] = hints.params[p.name] ?? encodeURIComponent(String(validValue(p.schema, hints, p.name)));
  }
  const body = route.body ? (validValue(route.body, hints) as Record<string, unknown>) : undefined;
  const base: FuzzCase = { label: 'valid base request', params, query, ...(body !== undefined ? { body } : {}) };
  const cases: FuzzCase[] = [];
  const withParam = (name: string, value: string, label: string) =>
    cases.push({ ...base, params: { ...params, [name]: value }, label });

  for (const p of route.parameters) {
    if (p.in === 'path') {
      for (const v of badValues(p.schema, hints, p.name)) {
        const text = scalarText(v.value);
        if (text === null) continue;
        withParam(p.name, encodeURIComponent(text), `path ${p.name}: ${v.label}`);
      }
      for (const trick of PATH_TRICKS) withParam(p.name, trick, `path ${p.name}: trick ${trick.slice(0, 40)}`);
    } else if (p.in === 'query') {
      for (const v of badValues(p.schema, hints, p.name)) {
        const text = scalarText(v.value);
        if (text === null) continue;
        cases.push({ ...base, query: { [p.name]: text }, label: `query ${p.name}: ${v.label}` });
      }
    }
  }
  if (route.parameters.some((p) => p.in === 'query'))
    cases.push({ ...base, query: { zzUnknown: '1' }, label: 'query: unknown parameter' });

  if (route.body && body) {
    const schema = route.body;
    const json = JSON.stringify(body);
    const inner = json.length > 2 ? `,${json.slice(1)}` : '}';
    for (const [label, rawBody] of [
      ['body: broken JSON', json.slice(0, Math.max(1, json.length - 3))],
      ['body: not JSON', 'not json at all'],
      ['body: empty', ''],
      ['body: __proto__ key', `{"__proto__":{"polluted":"yes"}${inner}`],
      ['body: constructor.prototype key', `{"constructor":{"prototype":{"polluted":"yes"}}${inner}`],
      ['body: duplicate keys', json.length > 2 ? `${json.slice(0, -1)},${json.slice(1)}` : json],
      ['body: deeply nested', '['.repeat(5000) + ']'.repeat(5000)],
    ] as const) {
      cases.push({ ...base, rawBody, label });
    }
    for (const value of [[], 'a string', 42, null, true])
      cases.push({ ...base, body: value, label: `body: ${JSON.stringify(value)} instead of an object` });
    if (schema.additionalProperties === false)
      cases.push({ ...base, body: { ...body, zzExtra: 'x' }, label: 'body: extra field' });
    const props = schema.properties ?? {};
    for (const [key, propSchema] of Object.entries(props)) {
      if (schema.required?.includes(key)) {
        const { [key]: _omitted, ...rest } = body;
        cases.push({ ...base, body: rest, label: `body: missing ${key}` });
      }
      for (const v of badValues(propSchema, hints, key))
        cases.push({ ...base, body: { ...body, [key]: v.value }, label: `body.${key}: ${v.label}` });
      // One level down (signOption, pipeline, provider ...).
      const nested = firstOption(propSchema) ?? propSchema;
      if (typeOf(nested) === 'object' && nested.properties) {
        const inside = (body[key] ?? validValue(nested, hints, key)) as Record<string, unknown>;
        if (typeof inside !== 'object' || inside === null) continue;
        for (const [sub, subSchema] of Object.entries(nested.properties)) {
          for (const v of badValues(subSchema, hints, sub).slice(0, 6)) {
            cases.push({
              ...base,
              body: { ...body, [key]: { ...inside, [sub]: v.value } },
              label: `body.${key}.${sub}: ${v.label}`,
            });
          }
        }
      }
    }
  }
  // Seeded sample, the base request always first.
  for (let i = cases.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [cases[i], cases[j]] = [cases[j]!, cases[i]!];
  }
  return [base, ...cases.slice(0, Math.max(0, limit - 1))];
}

/** The URL of a case: path placeholders filled (raw), query encoded. */
export function urlOf(route: RouteSpec, c: FuzzCase): string {
  const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => c.params[name] ?? 'x');
  const query = new URLSearchParams(c.query).toString();
  return query ? `${path}?${query}` : path;
}
