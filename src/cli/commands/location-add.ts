// pgward location-add [PGDATA] [--role ROLE]: the operator's decision that the cluster in PGDATA, on
// this host, may write into the repository (a new primary, a standby, a restore that replaces the
// source). A repository with no stamp yet is stamped for this cluster first.
import { readClusterFiles } from '../../cluster/identity.js';
import { UsageError } from '../../errors/errors.js';
import { currentHost, describeLocation, LOCATION_ROLES, registerLocation, type LocationRole } from '../../repo/locations.js';
import { ensureStamp, stampIdentityOf } from '../../repo/stamp.js';
import type { CommandContext } from '../context.js';
import { printJson } from '../output.js';
import { withStorage } from '../repository.js';
import { pgdataFrom } from './pgdata-arg.js';

function roleOf(value: unknown): LocationRole {
  const role = value === undefined ? 'manual' : String(value);
  if (!(LOCATION_ROLES as readonly string[]).includes(role)) {
    throw new UsageError(`--role ${role} is not one of ${LOCATION_ROLES.join(', ')}`, { hint: 'e.g. --role primary for a server that replaces the old primary' });
  }
  return role as LocationRole;
}

export const locationAddCommand = {
  async handler(ctx: CommandContext, args: { pgdata?: string; role?: string }): Promise<void> {
    const role = roleOf(args.role);
    const cluster = await readClusterFiles(pgdataFrom(args.pgdata, ctx.settings));
    const { location, created } = await withStorage(ctx, async (storage) => {
      await ensureStamp(storage, stampIdentityOf(cluster));
      return registerLocation(storage, { ...cluster, host: currentHost() }, role, 'pgward location-add');
    });
    ctx.log.info({ ...location, created }, created ? `registered ${describeLocation(location)} as ${role}` : `${describeLocation(location)} was already registered`);
    if (ctx.json) return printJson({ ...location, created });
    process.stdout.write(created ? `registered ${describeLocation(location)} as ${location.role}\n` : `${describeLocation(location)} already registered as ${location.role} (${location.registeredAt})\n`);
  },
};
