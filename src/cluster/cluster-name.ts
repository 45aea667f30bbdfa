// The name a DBA knows a cluster by: Debian's "<version>/<name>" when the data directory follows
// postgresql-common's layout (/var/lib/postgresql/15/main), otherwise the data directory itself.
export function clusterName(dataDirectory: string, pgMajor: string): string {
  const debian = /^\/var\/lib\/postgresql\/([^/]+)\/([^/]+)$/.exec(dataDirectory);
  if (debian && debian[1] === pgMajor) return `${debian[1]}/${debian[2]}`;
  return dataDirectory;
}
