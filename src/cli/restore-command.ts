// The restore_command a restored server runs: this same pgward's wal-fetch with the same repository
// settings (non-secret ones on the command line; credentials only through --config/--envdir files,
// never into postgresql.auto.conf). backup-fetch and backup-verify both write it.
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Settings } from '../config/settings.js';

const shellQuote = (value: string): string => `'${value.replace(/'/g, "'\\''")}'`;

export function walFetchCommand(args: { config?: string; envdir?: string }, settings: Settings): string {
  const parts = [process.execPath, realpathSync(process.argv[1]!)].map(shellQuote);
  parts.push('wal-fetch');
  if (args.config) parts.push('--config', shellQuote(resolve(args.config)));
  if (args.envdir) parts.push('--envdir', shellQuote(resolve(args.envdir)));
  for (const key of ['repo', 's3Endpoint'] as const) {
    const value = settings.get(key);
    if (value && !value.source.startsWith('config file') && !value.source.startsWith('envdir')) parts.push(key === 'repo' ? '--repo' : '--s3-endpoint', shellQuote(value.value));
  }
  parts.push('%f', '%p');
  return parts.join(' ');
}
