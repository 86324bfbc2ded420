/**
 * One client process of the shared-store benchmark. Runs one operation for a fixed time with `depth`
 * requests in flight and prints one JSON line: ops, seconds, and a sample of latencies in microseconds.
 * usage: shared-worker.ts <target> <operation> <depth> <durationMs> <clientTag>
 *   target: memory | classic:<dir> | server:<port>:<secret> | postgres:<url>:<schema>
 */
import { ClassicLevel } from 'classic-level';
import { LevelBackend, type MuBackend, openMuDB } from '../src/index.js';
import { PostgresBackend } from '../src/postgres/index.js';
import { RemoteBackend } from '../src/server/index.js';

const [target, operation, depthText, durationText, tag] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const depth = Number(depthText);
const duration = Number(durationText);

function backend(): MuBackend {
  const [kind, ...rest] = target.split(':');
  if (kind === 'classic') return new LevelBackend(new ClassicLevel(rest.join(':')));
  if (kind === 'server')
    return new RemoteBackend({ port: Number(rest[0]), clientId: 'worker', secret: rest.slice(1).join(':') });
  if (kind === 'postgres') {
    const schema = rest.pop()!;
    return new PostgresBackend({ connectionString: rest.join(':'), schema, poolSize: Math.max(2, depth) });
  }
  throw new Error(`unknown target ${target}`);
}

const db = await openMuDB(target === 'memory' ? {} : { backend: backend() });
const bucket = db.namespace(`bench-${operation}`).bucket();
const value = new Uint8Array(100).fill(1);
const keys = Array.from({ length: 1000 }, (_, i) => `${tag}:key:${i}`);
await bucket.setMany(keys.map((key) => [key, value] as const));

const run: (i: number) => Promise<unknown> =
  operation === 'get'
    ? (i) => bucket.get(keys[i % 1000]!)
    : operation === 'set'
      ? (i) => bucket.set(keys[i % 1000]!, value)
      : () => bucket.increment('shared-counter');

const latencies: number[] = [];
let count = 0;
const end = performance.now() + duration;
const warm = performance.now() + 200;
while (performance.now() < warm) await run(count++);
count = 0;
const start = performance.now();
await Promise.all(
  Array.from({ length: depth }, async (_, lane) => {
    let i = lane;
    while (performance.now() < end) {
      const t0 = performance.now();
      await run(i);
      const elapsed = performance.now() - t0;
      // Keep a bounded sample: every latency until 20k, then one in four.
      if (latencies.length < 20_000 || (count & 3) === 0) latencies.push(Math.round(elapsed * 1000));
      count++;
      i += depth;
    }
  }),
);
const seconds = (performance.now() - start) / 1000;
process.stdout.write(`${JSON.stringify({ ops: count, seconds, latencies })}\n`);
await db.close();
