// Which settings a cluster's archiving runs with, read from its archive_command: pgward's (the Node
// launcher, bin/pgward.js, or the per-segment client) with --config FILE / --envdir DIR, a wal-e style
// `envdir DIR pgward ...` prefix, or neither (then /etc/pgward/<instance>.conf, the units' convention,
// when it exists). Anything else is not pgward, and status says so instead of guessing a repository.

export interface PgwardArchiving {
  configFile?: string;
  envdir?: string;
}

/** Splits a shell command line into words: single and double quotes and backslashes, no expansion. */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < command.length) word = (word ?? '') + command[++i];
      else word = (word ?? '') + c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < command.length) {
      word = (word ?? '') + command[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

const isPgward = (word: string): boolean => /(^|\/)(pgward|pgward\.js|pgward-wal)$/.test(word);

/** The pgward settings of an archive_command, or undefined when it does not run pgward's wal-push. */
export function parseArchiveCommand(command: string): PgwardArchiving | undefined {
  const words = shellWords(command);
  const at = words.findIndex(isPgward);
  if (at < 0 || !words.slice(at + 1).some((w) => w === 'wal-push' || w === 'push')) return undefined;
  const found: PgwardArchiving = {};
  const envdirAt = words.indexOf('envdir');
  if (envdirAt >= 0 && envdirAt < at && words[envdirAt + 1]) found.envdir = words[envdirAt + 1];
  for (let i = at + 1; i < words.length; i++) {
    const [flag, inline] = words[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = inline ?? words[i + 1];
    if (flag === '--config' && value) found.configFile = value;
    else if (flag === '--envdir' && value) found.envdir = value;
    else continue;
    if (inline === undefined) i++;
  }
  return found;
}
