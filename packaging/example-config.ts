// Writes the commented example configuration the package installs as /etc/pgward/pgward.conf, from
// the settings table itself, so every setting pgward reads is listed with its meaning and nothing
// listed is one it ignores. Every line is a comment: an installed package changes no behaviour.
//   node dist/packaging/example-config.js OUT
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SETTINGS } from '../src/config/definitions.js';

const HEADER = `# pgward settings, KEY=VALUE, one per line; a line starting with # is a comment.
#
# This file holds the defaults every pgward command reads (--config overrides the path). The systemd
# units read /etc/pgward/<version>-<name>.conf for one cluster instead, e.g. /etc/pgward/15-main.conf
# for pgward@15-main: copy this file there and fill it in.
#
# A file holding credentials must be readable by the cluster's owner only:
#   install -m 0640 -o root -g postgres /etc/pgward/pgward.conf /etc/pgward/15-main.conf
# The environment and command-line flags override what is written here; of several names for one
# setting (pgward's own, wal-e's, the AWS SDK's), the first one listed wins.
#
# A minimal setup for an S3 repository:
#   PGDATA=/var/lib/postgresql/15/main
#   PGWARD_REPO=s3://my-bucket/pgward/15-main
#   AWS_ACCESS_KEY_ID=...
#   AWS_SECRET_ACCESS_KEY=...
# and in postgresql.conf: archive_mode = on, archive_command = 'pgward wal-push %p --config /etc/pgward/15-main.conf'
`;

export function exampleConfig(): string {
  const blocks = Object.values(SETTINGS).map((definition) => {
    const [name, ...aliases] = definition.env;
    const also = aliases.length ? ` (also read as ${aliases.join(', ')})` : '';
    return `# ${definition.description}${also}\n#${name}=`;
  });
  return `${HEADER}\n${blocks.join('\n\n')}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: example-config.js OUT');
  writeFileSync(out, exampleConfig());
}
