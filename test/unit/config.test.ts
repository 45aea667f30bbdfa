import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { parseConfigFile } from '../../src/config/config-file.js';
import { parseEnvdirValue } from '../../src/config/envdir.js';
import { parseRepoUrl } from '../../src/config/repo-url.js';
import { repositoryConfig } from '../../src/config/repository.js';
import { parseS3Endpoint } from '../../src/config/s3-endpoint.js';
import { Secret } from '../../src/config/secret.js';
import { Settings } from '../../src/config/settings.js';
import { ConfigError } from '../../src/errors/errors.js';

const src = (value: string) => ({ value, source: 'test' });

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgward-unit-'));
  tempDirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

describe('repository URL', () => {
  test.each([
    ['s3://bucket/some/prefix/', { kind: 's3', bucket: 'bucket', prefix: 'some/prefix' }],
    ['s3://bucket', { kind: 's3', bucket: 'bucket', prefix: '' }],
    ['file:///var/backups/pg', { kind: 'fs', path: '/var/backups/pg' }],
    ['file://localhost/var/backups/pg/', { kind: 'fs', path: '/var/backups/pg' }],
  ])('%s', (url, expected) => expect(parseRepoUrl(src(url))).toEqual(expected));

  test.each([
    ['/var/backups', /bare path/],
    ['s3://Bad_Bucket/x', /invalid bucket/],
    ['s3://bucket/../x', /\.\./],
    ['gs://bucket/x', /neither/],
  ])('refuses %s with a ConfigError naming the source', (url, message) => {
    expect(() => parseRepoUrl(src(url))).toThrow(ConfigError);
    expect(() => parseRepoUrl(src(url))).toThrow(message);
    expect(() => parseRepoUrl(src(url))).toThrow(/\(test\)/);
  });
});

describe('S3 endpoint', () => {
  test('wal-e https+path form means path-style', () =>
    expect(parseS3Endpoint(src('https+path://minio.local:9000'))).toEqual({ url: 'https://minio.local:9000', forcePathStyle: true }));
  test('wal-e virtualhost form', () =>
    expect(parseS3Endpoint(src('https+virtualhost://s3.example.com'))).toEqual({ url: 'https://s3.example.com', forcePathStyle: false }));
  test('plain URL leaves the style to the defaults', () => expect(parseS3Endpoint(src('http://127.0.0.1:9000/'))).toEqual({ url: 'http://127.0.0.1:9000' }));
  test('credentials in the URL are refused', () => expect(() => parseS3Endpoint(src('https://key:secret@host'))).toThrow(/credentials/));
  test('garbage is refused', () => expect(() => parseS3Endpoint(src('minio:9000'))).toThrow(ConfigError));
});

describe('settings precedence: flags > environment > envdir > config file', () => {
  const envdir = tempDir({ PGPORT: '5434\n', WALE_S3_PREFIX: 's3://from-envdir/p', EMPTY: '' });
  const config = join(tempDir({ 'pgward.conf': '# comment\nPGPORT=5435\nexport PGWARD_REPO="s3://from-config/p"\nPGUSER=backup\n' }), 'pgward.conf');

  test('each level wins over the ones below', () => {
    const settings = new Settings({ flags: { port: '5432' }, env: { PGPORT: '5433' }, envdir, configFile: config });
    expect(settings.get('pgPort')).toEqual({ value: '5432', source: 'flag --port' });
    const noFlag = new Settings({ flags: {}, env: { PGPORT: '5433' }, envdir, configFile: config });
    expect(noFlag.get('pgPort')).toEqual({ value: '5433', source: 'environment PGPORT' });
    const noEnv = new Settings({ flags: {}, env: {}, envdir, configFile: config });
    expect(noEnv.get('pgPort')).toEqual({ value: '5434', source: `envdir ${envdir}: PGPORT` });
    expect(noEnv.get('pgUser')?.source).toBe(`config file ${config} line 4: PGUSER`);
  });

  test('a wal-e name in the envdir beats pgward name in the config file (levels first, names second)', () => {
    const settings = new Settings({ flags: {}, env: {}, envdir, configFile: config });
    expect(settings.get('repo')?.value).toBe('s3://from-envdir/p');
  });

  test('pgward names beat wal-e names at the same level', () => {
    const settings = new Settings({ flags: {}, env: { WALE_S3_PREFIX: 's3://wale/p', PGWARD_REPO: 's3://pgward/p' } });
    expect(settings.get('repo')).toEqual({ value: 's3://pgward/p', source: 'environment PGWARD_REPO' });
  });

  test('a missing repository names every place searched', () => {
    const settings = new Settings({ flags: {}, env: {}, envdir: tempDir({ PGPORT: '5434' }) });
    expect(() => repositoryConfig(settings)).toThrow(/no repository configured \(looked for --repo, PGWARD_REPO, WALE_S3_PREFIX, WALE_FILE_PREFIX in flags, the environment, envdir/);
  });

  test('a malformed number names the setting and its source', () => {
    const settings = new Settings({ flags: {}, env: { PGWARD_REPO: 's3://bk1/p', PGWARD_STORAGE_TIMEOUT: 'soon' } });
    expect(() => repositoryConfig(settings)).toThrow(/"soon" \(environment PGWARD_STORAGE_TIMEOUT\)/);
  });

  test('only one of the two AWS keys is an error', () => {
    const settings = new Settings({ flags: {}, env: { PGWARD_REPO: 's3://bk1/p', AWS_ACCESS_KEY_ID: 'AKIA' } });
    expect(() => repositoryConfig(settings)).toThrow(/AWS_SECRET_ACCESS_KEY is not/);
  });

  test('custom endpoints default to path style and WHEN_REQUIRED checksums, AWS to the SDK defaults', () => {
    const custom = repositoryConfig(new Settings({ flags: {}, env: { PGWARD_REPO: 's3://bk1/p', PGWARD_S3_ENDPOINT: 'http://127.0.0.1:9000' } }));
    expect(custom.s3).toMatchObject({ forcePathStyle: true, checksum: 'WHEN_REQUIRED', endpoint: 'http://127.0.0.1:9000' });
    const aws = repositoryConfig(new Settings({ flags: {}, env: { PGWARD_REPO: 's3://bk1/p' } }));
    expect(aws.s3).toMatchObject({ forcePathStyle: false, checksum: 'WHEN_SUPPORTED' });
    expect(aws.s3?.credentials).toBeUndefined();
  });

  test('wal-e endpoint in an envdir sets path style', () => {
    const dir = tempDir({ WALE_S3_PREFIX: 's3://bk1/p', WALE_S3_ENDPOINT: 'https+path://minio:9000' });
    const config2 = repositoryConfig(new Settings({ flags: {}, env: {}, envdir: dir }));
    expect(config2.s3).toMatchObject({ endpoint: 'https://minio:9000', forcePathStyle: true });
  });

  test('secrets never show in toJSON', () => {
    const settings = new Settings({ flags: {}, env: { AWS_SECRET_ACCESS_KEY: 'topsecret', PGPASSWORD: 'pw' } });
    const text = JSON.stringify(settings);
    expect(text).not.toMatch(/topsecret|"pw/);
  });
});

describe('envdir and config file formats', () => {
  test('envdir value is the first line, trailing blanks removed, NUL as newline', () => {
    expect(parseEnvdirValue('s3://b/p  \nignored')).toBe('s3://b/p');
    expect(parseEnvdirValue('a\0b')).toBe('a\nb');
  });
  test('config file: quotes, export, comments; bad lines name the line', () => {
    const parsed = parseConfigFile("# c\nA='x y'\nexport B=2\n", 'f');
    expect(parsed.get('A')).toEqual({ value: 'x y', line: 2 });
    expect(parsed.get('B')?.value).toBe('2');
    expect(() => parseConfigFile('A=1\nnonsense\n', '/etc/pgward/pgward.conf')).toThrow(/line 2/);
  });
});

describe('Secret', () => {
  test('cannot be printed by accident', () => {
    const secret = new Secret('hunter2');
    expect(`${secret}`).toBe('[redacted]');
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
    expect(inspect({ secret })).not.toContain('hunter2');
    expect(secret.reveal()).toBe('hunter2');
  });
});
