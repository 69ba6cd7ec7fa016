import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';

/**
 * One environment variable of the broker: its name, a TypeBox schema that says what it holds (type,
 * bounds, `description` and `default`, which the README's configuration table repeats), how its
 * text becomes a value and, where the schema cannot say it, a further check.
 */
export interface Variable<T> {
  readonly env: string;
  readonly schema: TSchema & { description: string; default?: unknown };
  /** Whether the broker refuses to start without it. */
  readonly required: boolean;
  read(raw: string | undefined, problems: string[]): T;
}

interface Options<S extends TSchema, T> {
  /** Further checks and conversion of a value the schema accepted; push a problem naming the variable. */
  refine?: (value: Static<S>, problems: string[], env: string) => T;
  /** The value when the variable is unset and the schema has no default (an optional setting). */
  unset?: T;
  /** The value when unset, when it cannot be written in the schema (a path found at run time). */
  fallback?: () => T;
  /** What the refusal says when a value fails the schema (default: from its type and bounds). */
  problem?: string;
  /** Why a required variable is required: added to "X is required". */
  requiredHint?: string;
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

/** Every variable's schema carries a description (its TypeBox type does not say so; config-readme.test.ts checks it). */
type Described = TSchema & { description?: string; default?: unknown; type?: string };

/** The text of an environment variable as the value its schema describes, or undefined when it cannot be one. */
function fromText(schema: Described, raw: string): unknown {
  const text = raw.trim();
  switch (schema.type) {
    case 'integer':
      return /^\d+$/.test(text) ? Number(text) : undefined;
    case 'boolean': {
      const word = text.toLowerCase();
      return TRUE.includes(word) ? true : FALSE.includes(word) ? false : undefined;
    }
    case 'array':
      return [
        ...new Set(
          raw
            .split(',')
            .map((n) => n.trim())
            .filter((n) => n !== ''),
        ),
      ];
    default:
      return raw;
  }
}

function describeRefusal(env: string, schema: Described, raw: string, value: unknown): string {
  const s = schema as Described & { minimum?: number; maximum?: number; enum?: unknown[]; items?: { enum?: unknown[] } };
  if (s.type === 'integer') return `${env} must be a whole number between ${s.minimum} and ${s.maximum}, got "${raw}"`;
  if (s.type === 'boolean') return `${env} must be true or false, got "${raw}"`;
  if (s.enum) return `${env} must be one of ${s.enum.join(', ')}, got "${raw}"`;
  if (s.type === 'array' && s.items?.enum && Array.isArray(value)) {
    const allowed = s.items.enum;
    const unknown = value.filter((v) => !allowed.includes(v));
    return `${env} may list ${allowed.join(', ')}; unknown: ${unknown.join(', ')}`;
  }
  const first = [...Value.Errors(schema, value)][0];
  return `${env} ${first?.message ?? 'is not valid'}, got "${raw}"`;
}

export function variable<S extends TSchema, T = Static<S>>(env: string, typed: S, options: Options<S, T> = {}): Variable<T> {
  const schema = typed as S & Described & { description: string };
  const hasDefault = schema.default !== undefined;
  const required = !hasDefault && !('unset' in options) && options.fallback === undefined;
  const refine = (value: Static<S>, problems: string[]): T => (options.refine ? options.refine(value, problems, env) : value);
  return {
    env,
    schema,
    required,
    read(raw, problems) {
      if (raw === undefined || raw.trim() === '') {
        if (options.fallback) return options.fallback();
        if (hasDefault) return refine(structuredClone(schema.default) as Static<S>, problems);
        if (!required) return options.unset as T;
        problems.push(`${env} is required${options.requiredHint ? ` (${options.requiredHint})` : ''}`);
        return undefined as T;
      }
      const value = fromText(schema, raw);
      if (value === undefined || !Value.Check(schema, value)) {
        problems.push(options.problem ? `${env} ${options.problem}` : describeRefusal(env, schema, raw, value));
        return (hasDefault ? schema.default : undefined) as T;
      }
      return refine(value, problems);
    },
  };
}

/** A URL of one of `protocols`; the refusal names the variable and what was wrong. */
export function urlOf(...protocols: string[]) {
  return (value: string, problems: string[], env: string): string => {
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(`${env} must be a ${protocols.join(' or ')} URL, got protocol "${parsed.protocol}"`);
      }
    } catch {
      problems.push(`${env} is not a valid URL`);
    }
    return value;
  };
}
