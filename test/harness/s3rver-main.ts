// Child process running s3rver on loopback (started by s3rver.ts). Runs under
// --openssl-legacy-provider: s3rver's ListObjectsV2 continuation tokens use DES, and without the
// flag every truncated listing fails with 500. Exits when its parent goes away (stdin closes).
import S3rver from 's3rver';

const directory = process.argv[2];
if (!directory) throw new Error('usage: s3rver-main DIRECTORY');
const server = new S3rver({ port: Number(process.argv[3] ?? 0), address: '127.0.0.1', directory, silent: true });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
const stop = async (): Promise<void> => {
  await server.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();
