// wal-push and wal-fetch run once per WAL file: their command lines are parsed here without loading
// yargs (~76 ms of start-up). Anything this parser does not recognise returns undefined and goes
// through yargs, which gives the proper usage errors.
const VALUE_FLAGS = new Set(['config', 'envdir', 'pgdata', 'repo', 's3-prefix', 's3-endpoint', 's3-region', 'compression', 'log-level', 'log-format']);
const BOOLEAN_FLAGS = new Set(['debug', 'json']);
const POSITIONALS: Record<string, string[]> = {
  'wal-push': ['path'],
  'wal-fetch': ['segment', 'destination'],
};

export interface FastCommand {
  command: string;
  args: Record<string, unknown>;
}

export function parseFastPath(argv: readonly string[]): FastCommand | undefined {
  let command: string | undefined;
  const args: Record<string, unknown> = {};
  const positionals: string[] = [];
  // Flags may come before the command too: pgward --config FILE wal-push %p
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (!token.startsWith('--')) {
      if (command === undefined) {
        if (!(token in POSITIONALS)) return undefined;
        command = token;
      } else positionals.push(token);
      continue;
    }
    const [name, inline] = token.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (BOOLEAN_FLAGS.has(name) && inline === undefined) args[name] = true;
    else if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) return undefined;
      args[name] = value;
    } else return undefined;
  }
  const names = command === undefined ? undefined : POSITIONALS[command];
  if (!command || !names || positionals.length !== names.length) return undefined;
  names.forEach((name, i) => (args[name] = positionals[i]));
  return { command, args };
}
