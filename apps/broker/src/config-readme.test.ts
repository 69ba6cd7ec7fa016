import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EnvironmentSchema, VARIABLES } from './config.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The rows of the README's configuration table: variable → its default cell. */
function readmeTable(): Map<string, string> {
  const section = README.split(/^## /m).find((s) => s.startsWith('Configuration'));
  if (!section) throw new Error('README.md has no "## Configuration" section');
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = /^\|\s*`([A-Z0-9_]+)`\s*\|([^|]*)\|/.exec(line);
    if (cells) rows.set(cells[1]!, cells[2]!.trim());
  }
  return rows;
}

/** How the table writes a variable's default: its value in backticks, `empty`, `required` or `unset`. */
function documentedDefault(v: (typeof VARIABLES)[keyof typeof VARIABLES]): string {
  if (v.required) return 'required';
  const value = v.schema.default;
  if (value === undefined) return 'unset';
  if (Array.isArray(value) && value.length === 0) return 'empty';
  const text = Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : JSON.stringify(value);
  return `\`${text}\``;
}

describe("the README's configuration table", () => {
  const table = readmeTable();
  const variables = Object.values(VARIABLES);

  it('lists exactly the variables of the config schema', () => {
    expect([...table.keys()].sort()).toEqual(variables.map((v) => v.env).sort());
    expect(Object.keys(EnvironmentSchema.properties).sort()).toEqual(variables.map((v) => v.env).sort());
  });

  it.each(variables.map((v) => [v.env, v] as const))('gives %s the default of the schema', (_env, v) => {
    // A cell may go on after the default, e.g. "`0.0.0.0` (`127.0.0.1` in the quick start)".
    expect(table.get(v.env)?.startsWith(documentedDefault(v))).toBe(true);
  });

  it('has a description for every variable in the schema', () => {
    for (const v of variables) expect(v.schema.description.trim(), v.env).not.toBe('');
  });
});
