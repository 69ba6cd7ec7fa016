/**
 * A small flag parser: `--name value`, `--name=value` and bare `--flag` (true). No dependency, and
 * unknown flags are an error so a typo never silently runs the full-size benchmark.
 */
export type Flags = Map<string, string | true>;

export function parseFlags(argv: string[], known: readonly string[]): Flags {
  const flags: Flags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') continue;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}" (flags start with --)`);
    const [rawName, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (!known.includes(rawName)) throw new Error(`unknown flag --${rawName}; known: ${known.map((k) => `--${k}`).join(' ')}`);
    if (inline !== undefined) flags.set(rawName, inline);
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) flags.set(rawName, argv[++i]!);
    else flags.set(rawName, true);
  }
  return flags;
}

/** The flags of a command that also takes `--help`: 'help' when it was given (whatever else was), else the flags. */
export function parseCommandFlags(argv: string[], known: readonly string[]): Flags | 'help' {
  const flags = parseFlags(argv, [...known, 'help']);
  return flags.has('help') ? 'help' : flags;
}

export function intFlag(flags: Flags, name: string, fallback: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const value = Number(String(raw).replace(/_/g, '').replace(/k$/i, '000').replace(/m$/i, '000000'));
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} needs a whole number, got "${String(raw)}"`);
  return value;
}

export function listFlag(flags: Flags, name: string): string[] {
  const raw = flags.get(name);
  if (raw === undefined || raw === true) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
