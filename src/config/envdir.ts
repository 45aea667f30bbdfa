// daemontools envdir: one file per variable, the value is the file's first line with trailing blanks
// removed and NUL bytes turned into newlines; an empty file unsets the variable. wal-e installations
// keep their settings this way (/etc/wal-e.d/env), so pgward reads the same folders.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors/errors.js';

export function parseEnvdirValue(content: string): string {
  const firstLine = content.split('\n', 1)[0] ?? '';
  return firstLine.replace(/[ \t]+$/, '').replace(/\0/g, '\n');
}

export function readEnvdir(dir: string): Map<string, string> {
  const values = new Map<string, string>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new ConfigError(`cannot read envdir ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      hint: '--envdir names a folder holding one file per variable (e.g. /etc/wal-e.d/env)',
      cause: err,
    });
  }
  for (const name of names) {
    if (name.startsWith('.') || name.includes('=')) continue;
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    const value = parseEnvdirValue(readFileSync(path, 'utf8'));
    if (value !== '') values.set(name, value);
  }
  return values;
}
