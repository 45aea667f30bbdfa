// Messages between the restore's main thread and its hashing thread (hash-worker.ts). Bytes never
// travel in them: `start`/`length` name a region of the shared ring.
export type HashRequest = { kind: 'update'; file: number; region: number; start: number; length: number } | { kind: 'digest'; file: number };

export type HashReply = { kind: 'hashed'; region: number } | { kind: 'digest'; file: number; sha256: string };
