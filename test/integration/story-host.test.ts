// The story's host, reproduced: clusters of different majors running at once on non-default ports.
// Every command pointed at a data directory must reach that cluster or stop; PGPORT, --port, PGHOST
// or a wal-e envdir pointing at the other cluster is refused with exit 3 and nothing is written.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { runPgward } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { TEST_ROOT } from '../harness/paths.js';
import { createCluster, type TestCluster } from '../harness/postgres.js';

async function serverSystemIdentifier(cluster: TestCluster): Promise<string> {
  const client = new pg.Client(cluster.connection());
  await client.connect();
  try {
    const result = await client.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()');
    return result.rows[0]!.id;
  } finally {
    await client.end();
  }
}

const AS_POSTGRES = { PGUSER: 'postgres' };
let pg13: TestCluster;
let pg15: TestCluster;
let pg17: TestCluster;
let tcpOnly: TestCluster;

beforeAll(async () => {
  [pg13, pg15, pg17, tcpOnly] = await Promise.all([
    createCluster({ version: '13' }),
    createCluster({ version: '15' }),
    createCluster({ version: '17' }),
    createCluster({ version: '17', socket: false }),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all([pg13, pg15, pg17, tcpOnly].map((cluster) => cluster?.destroy()));
});

describe('cluster-info reaches the cluster of the data directory it is given', () => {
  test.each(['13', '15', '17'])('PostgreSQL %s', async (version) => {
    const cluster = { '13': pg13, '15': pg15, '17': pg17 }[version]!;
    const result = await runPgward(['cluster-info', cluster.dataDirectory, '--json'], { env: AS_POSTGRES });
    expect(result.exitCode).toBe(0);
    const info = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(info).toMatchObject({
      dataDirectory: cluster.dataDirectory,
      pgMajor: version,
      status: 'running',
      pid: cluster.pid,
      port: cluster.port,
      socketDirectory: cluster.socketDirectory,
      listenAddress: '127.0.0.1',
      systemIdentifier: await serverSystemIdentifier(cluster),
      clusterState: 'in production',
      verified: true,
      inRecovery: false,
      connectedTo: { host: cluster.socketDirectory, port: cluster.port },
    });
    expect(String(info.serverVersion)).toMatch(new RegExp(`^${version}\\.`));
    expect(typeof info.systemIdentifier).toBe('string');
  });

  test('a cluster without a Unix socket is reached on its listen address', async () => {
    const result = await runPgward(['cluster-info', tcpOnly.dataDirectory, '--json'], { env: AS_POSTGRES });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ verified: true, connectedTo: { host: '127.0.0.1', port: tcpOnly.port } });
  });

  test('the readable form names cluster, port and verification', async () => {
    const result = await runPgward(['cluster-info', pg15.dataDirectory], { env: AS_POSTGRES });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`port\\s+${pg15.port}`));
    expect(result.stdout).toMatch(/verified\s+yes: data_directory, version and system identifier match/);
  });

  test('PGDATA from the environment when no argument is given', async () => {
    const result = await runPgward(['cluster-info', '--json'], { env: { ...AS_POSTGRES, PGDATA: pg17.dataDirectory } });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ port: pg17.port, pgMajor: '17' });
  });
});

describe('a connection setting that points at the other cluster is refused (exit 3)', () => {
  test("PGPORT set to the other cluster's port names both ports", async () => {
    const result = await runPgward(['cluster-info', pg17.dataDirectory], { env: { ...AS_POSTGRES, PGPORT: String(pg15.port) } });
    expectCleanError(result, 3, new RegExp(`port ${pg15.port} \\(environment PGPORT\\).*listens on port ${pg17.port}`));
    expect(result.stdout).toBe('');
  });

  test('--port likewise', async () => {
    const result = await runPgward(['cluster-info', pg15.dataDirectory, '--port', String(pg13.port)], { env: AS_POSTGRES });
    expectCleanError(result, 3, new RegExp(`port ${pg13.port} \\(flag --port\\).*listens on port ${pg15.port}`));
  });

  test("PGHOST set to the other cluster's socket directory", async () => {
    const result = await runPgward(['cluster-info', pg15.dataDirectory], { env: { ...AS_POSTGRES, PGHOST: pg17.socketDirectory } });
    expectCleanError(result, 3, /socket directory .* disagrees with postmaster.pid/);
  });

  test("the story itself: a wal-e envdir whose PGPORT is the other cluster's", async () => {
    const envdir = mkdtempSync(join(TEST_ROOT, 'envdir-'));
    writeFileSync(join(envdir, 'PGPORT'), `${pg13.port}\n`);
    writeFileSync(join(envdir, 'PGUSER'), 'postgres\n');
    const result = await runPgward(['cluster-info', pg17.dataDirectory, '--envdir', envdir]);
    expectCleanError(result, 3, new RegExp(`port ${pg13.port} \\(envdir ${envdir}: PGPORT\\)`));
  });

  test('check with a mismatched PGPORT writes nothing to the repository', async () => {
    const repo = join(mkdtempSync(join(TEST_ROOT, 'repo-')), 'r');
    mkdirSync(repo);
    const result = await runPgward(['check', pg17.dataDirectory], {
      env: { ...AS_POSTGRES, PGPORT: String(pg15.port), PGWARD_REPO: `file://${repo}` },
    });
    expectCleanError(result, 3, /disagrees with postmaster.pid/);
    expect(readdirSync(repo)).toEqual([]);
  });

  test('the matching port is accepted', async () => {
    const result = await runPgward(['cluster-info', pg17.dataDirectory, '--json'], { env: { ...AS_POSTGRES, PGPORT: String(pg17.port) } });
    expect(result.exitCode).toBe(0);
  });

  test('--json errors are one JSON object on stderr', async () => {
    const result = await runPgward(['cluster-info', pg17.dataDirectory, '--json'], { env: { ...AS_POSTGRES, PGPORT: String(pg15.port) } });
    expect(result.exitCode).toBe(3);
    const doc = JSON.parse(result.stderr.trim()) as Record<string, unknown>;
    expect(doc).toMatchObject({ code: 'CLUSTER_IDENTITY_MISMATCH', exitCode: 3, hint: expect.stringContaining(String(pg17.port)) });
  });
});

describe('clusters lists every running cluster with its identity', () => {
  test('ports, versions and system identifiers of all test clusters', async () => {
    const result = await runPgward(['clusters', '--json']);
    expect(result.exitCode).toBe(0);
    const listed = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    for (const cluster of [pg13, pg15, pg17, tcpOnly]) {
      expect(listed).toContainEqual(
        expect.objectContaining({
          dataDirectory: cluster.dataDirectory,
          pgMajor: cluster.version,
          port: cluster.port,
          status: 'online',
          pid: cluster.pid,
          systemIdentifier: await serverSystemIdentifier(cluster),
          foundBy: ['process'],
        }),
      );
    }
  });

  test('the table form', async () => {
    const result = await runPgward(['clusters']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(/^Ver\s+Cluster\s+Port\s+Status/);
    expect(result.stdout).toContain(pg17.dataDirectory);
  });
});
