/**
 * A folder's `_lib.lua` cut into its top-level definitions, so that each script is loaded with the
 * helpers it uses (and those they use) and nothing else. A definition starts at a line beginning
 * `local` (a function or a set of constants) and takes the comment lines just above it; it ends
 * where the next one starts. The lib's order is kept, so a helper still comes after those it calls.
 */
interface Definition {
  names: string[];
  text: string;
}

const START = /^local\s+(?:function\s+([A-Za-z_]\w*)|([A-Za-z_][\w\s,]*?)\s*=)/;

export function parseLib(lib: string): Definition[] {
  const definitions: Definition[] = [];
  let pending: string[] = [];
  let current: { names: string[]; lines: string[] } | null = null;
  const close = () => {
    if (current) definitions.push({ names: current.names, text: current.lines.join('\n') });
    current = null;
  };
  for (const line of lib.split('\n')) {
    const start = START.exec(line);
    if (start) {
      close();
      const names = start[1] ? [start[1]] : (start[2] ?? '').split(',').map((name) => name.trim());
      current = { names, lines: [...pending, line] };
      pending = [];
    } else if (line.startsWith('--') || line.trim() === '') {
      // A comment belongs to the definition below it; one inside a definition stays with it.
      if (current && line.startsWith('  ')) current.lines.push(line);
      else pending.push(line);
    } else if (current) {
      current.lines.push(...pending, line);
      pending = [];
    }
  }
  close();
  return definitions;
}

/** Lua source without its comments (strings are kept: a name in one only includes a helper more). */
function code(lua: string): string {
  return lua.replace(/--\[\[[\s\S]*?\]\]/g, '').replace(/--[^\n]*/g, '');
}

function uses(lua: string, name: string): boolean {
  return new RegExp(`(^|[^\\w.:])${name}\\b`).test(lua);
}

/** The lib's definitions that `script` needs, in the lib's order, as one block of Lua. */
export function helpersFor(definitions: readonly Definition[], script: string): string {
  const needed = new Set<number>();
  const visit = (lua: string) => {
    const body = code(lua);
    definitions.forEach((definition, index) => {
      if (needed.has(index) || !definition.names.some((name) => uses(body, name))) return;
      needed.add(index);
      visit(definition.text);
    });
  };
  visit(script);
  return definitions
    .filter((_, index) => needed.has(index))
    .map((definition) => definition.text.trim())
    .join('\n\n');
}
