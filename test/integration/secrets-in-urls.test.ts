// Credentials written into a URL setting by mistake (http://user:SECRET@host as the S3 endpoint,
// s3://user:SECRET@bucket as the repository) never reach any output: not the error that refuses the
// value, not the debug log of resolved settings.
import { expect, test } from '@jest/globals';
import { runPgward } from '../harness/cli.js';

const SECRET = 'pgwardUrlSecret0123456789';

test.each([
  ['a valid-looking endpoint', { PGWARD_REPO: 's3://bucket/p', PGWARD_S3_ENDPOINT: `http://user:${SECRET}@127.0.0.1:9000` }],
  ['an endpoint that is not http(s)', { PGWARD_REPO: 's3://bucket/p', PGWARD_S3_ENDPOINT: `ftp://user:${SECRET}@127.0.0.1:9000` }],
  ['a wal-e form endpoint', { PGWARD_REPO: 's3://bucket/p', PGWARD_S3_ENDPOINT: `https+path://user:${SECRET}@127.0.0.1:9000` }],
  ['a repository URL', { PGWARD_REPO: `s3://user:${SECRET}@bucket/p` }],
])('%s with credentials: refused with exit 2, the secret shown nowhere', async (_what, env) => {
  const result = await runPgward(['repo-info', '--debug', '--log-level', 'trace'], { env });
  expect(result.exitCode).toBe(2);
  expect(result.stdout + result.stderr).not.toContain(SECRET);
  const json = await runPgward(['repo-info', '--json', '--debug'], { env });
  expect(json.exitCode).toBe(2);
  expect(json.stdout + json.stderr).not.toContain(SECRET);
});
