// The config file uses the environment's own names, one KEY=VALUE per line (the format of systemd's
// EnvironmentFile=), so one file serves both `pgward --config` and a unit's EnvironmentFile.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors/errors.js';

export interface ConfigEntry {
  value: string;
  line: number;
}

export function parseConfigFile(text: string, path: string): Map<string, ConfigEntry> {
  const entries = new Map<string, ConfigEntry>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) {
      throw new ConfigError(`config file ${path} line ${index + 1} is not KEY=VALUE`, {
        hint: 'write one setting per line, e.g. PGWARD_REPO=s3://bucket/prefix',
      });
    }
    let value = match[2]!;
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    entries.set(match[1]!, { value, line: index + 1 });
  });
  return entries;
}

export function readConfigFile(path: string): Map<string, ConfigEntry> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      hint: 'check the path given with --config or PGWARD_CONFIG',
      cause: err,
    });
  }
  return parseConfigFile(text, path);
}
