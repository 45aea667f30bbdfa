// A real S3 HTTP server (s3rver) on 127.0.0.1 in a child process, with its own folder. Tests create
// their buckets through the real S3 API.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { createTestBucket, testS3Client, type S3Credentials } from './s3-client.js';
import { TEST_ROOT } from './paths.js';

export class TestS3Server {
  constructor(
    readonly endpoint: string,
    private child: ChildProcess,
    private readonly directory: string,
  ) {}

  get port(): number {
    return Number(new URL(this.endpoint).port);
  }

  /** Stop serving but keep the data (a storage outage). */
  async pause(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  /** Serve again on the same port with the same data. */
  async resume(): Promise<void> {
    this.child = (await spawnS3rver(this.directory, this.port)).child;
  }

  /** Settings for pgward (environment variables) pointing at this server. */
  env(bucket: string, prefix: string): Record<string, string> {
    return {
      PGWARD_REPO: `s3://${bucket}/${prefix}`,
      PGWARD_S3_ENDPOINT: this.endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      PGWARD_STORAGE_RETRIES: '1',
      PGWARD_STORAGE_TIMEOUT: '10',
    };
  }

  private get credentials(): S3Credentials {
    return { endpoint: this.endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  }

  client(): S3Client {
    return testS3Client(this.credentials);
  }

  createBucket(name: string): Promise<void> {
    return createTestBucket(this.credentials, name);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.directory, { recursive: true, force: true });
  }
}

async function spawnS3rver(directory: string, port = 0): Promise<{ child: ChildProcess; port: number }> {
  const main = join(fileURLToPath(new URL('.', import.meta.url)), 's3rver-main.js');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', main, directory, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  return { child, port: (JSON.parse(line) as { port: number }).port };
}

export async function startS3rver(): Promise<TestS3Server> {
  const directory = mkdtempSync(join(TEST_ROOT, 's3-'));
  const { child, port } = await spawnS3rver(directory);
  return new TestS3Server(`http://127.0.0.1:${port}`, child, directory);
}
