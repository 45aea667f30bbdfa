// The data directory argument shared by commands that act on a cluster: the positional argument,
// else PGDATA (flag, environment, envdir, config file).
import type { Settings } from '../../config/settings.js';
import { UsageError } from '../../errors/errors.js';

export function pgdataFrom(positional: unknown, settings: Settings): string {
  if (typeof positional === 'string' && positional !== '') return positional;
  const fromSettings = settings.get('pgData');
  if (fromSettings) return fromSettings.value;
  throw new UsageError('no data directory given', {
    hint: 'name it on the command line (pgward cluster-info /var/lib/postgresql/15/main) or set PGDATA',
  });
}
