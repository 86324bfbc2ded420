/**
 * MuDB against the raw abstract-level database it runs on, in the same process and run.
 * Prints a table and writes bench-results/mudb.json at the repository root.
 *
 * Each operation runs sequentially (await per op) for a fixed time; MuDB and raw alternate rounds and the
 * best round of each counts, which damps noise from other processes on the machine.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClassicLevel } from 'classic-level';
import { MemoryLevel } from 'memory-level';
import { type AnyLevel, type Bucket, LevelBackend, openMuDB } from '../src/index.js';

/** The raw database as an app would use it: string keys, byte values. */
type RawLevel = MemoryLevel<string, Uint8Array> | ClassicLevel<string, Uint8Array>;

const KEYS = 10_000;
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 400);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const value = new Uint8Array(100).fill(7);
const keys = Array.from({ length: KEYS }, (_, i) => `user:${String(i).padStart(6, '0')}`);
const order = Array.from({ length: 1 << 16 }, (_, i) => (i * 7919) % KEYS);

type Operation = (i: number) => Promise<unknown>;

async function opsPerSecond(operation: Operation): Promise<number> {
  let i = 0;
  const warmEnd = performance.now() + 50;
  while (performance.now() < warmEnd) await operation(i++);
  let count = 0;
  const start = performance.now();
  const end = start + ROUND_MS;
  let now = start;
  while (now < end) {
    for (let j = 0; j < 64; j++) await operation(i++ + j);
    count += 64;
    now = performance.now();
  }
  return (count / (now - start)) * 1000;
}

interface Pair {
  mudb: Operation;
  raw: Operation;
}

function operations(bucket: Bucket, raw: RawLevel): Record<string, Pair> {
  const batch = (i: number) => Array.from({ length: 100 }, (_, j) => keys[(i * 100 + j) % KEYS]!);
  return {
    get: {
      mudb: (i) => bucket.get(keys[order[i & 0xffff]!]!),
      raw: (i) => raw.get(keys[order[i & 0xffff]!]!),
    },
    set: {
      mudb: (i) => bucket.set(keys[order[i & 0xffff]!]!, value),
      raw: (i) => raw.put(keys[order[i & 0xffff]!]!, value),
    },
    'batch set of 100': {
      mudb: (i) => bucket.setMany(batch(i).map((key) => [key, value] as const)),
      raw: (i) => raw.batch(batch(i).map((key) => ({ type: 'put' as const, key, value }))),
    },
    increment: {
      mudb: (i) => bucket.increment(`counter:${i % 100}`),
      // What an app would do without MuDB: read, parse, write (and no atomicity).
      raw: async (i) => {
        const key = `counter:${i % 100}`;
        const current = (await raw.get(key)) as Uint8Array | undefined;
        const next = (current ? BigInt(new TextDecoder().decode(current)) : 0n) + 1n;
        await raw.put(key, new TextEncoder().encode(next.toString()));
      },
    },
    'listKeys page of 100': {
      mudb: () => bucket.listKeys({ prefix: 'user:', limit: 100 }),
      raw: () => (raw as MemoryLevel<string, Uint8Array>).keys({ gte: 'user:', lt: 'user;', limit: 101 }).all(),
    },
  };
}

async function run(backendName: string, makeDb: () => AnyLevel, makeRaw: () => RawLevel) {
  const db = await openMuDB({ backend: new LevelBackend(makeDb()) });
  const bucket = db.namespace('bench').bucket();
  const raw = makeRaw();
  await raw.open();
  await bucket.setMany(keys.slice(0, 5000).map((key) => [key, value] as const));
  await bucket.setMany(keys.slice(5000).map((key) => [key, value] as const));
  await raw.batch(keys.map((key) => ({ type: 'put' as const, key, value })));
  const rows = [];
  for (const [name, pair] of Object.entries(operations(bucket, raw))) {
    let mudb = 0;
    let rawBest = 0;
    for (let round = 0; round < ROUNDS; round++) {
      rawBest = Math.max(rawBest, await opsPerSecond(pair.raw));
      mudb = Math.max(mudb, await opsPerSecond(pair.mudb));
    }
    rows.push({
      backend: backendName,
      operation: name,
      mudbOpsPerSec: Math.round(mudb),
      rawOpsPerSec: Math.round(rawBest),
      ratio: Number((mudb / rawBest).toFixed(3)),
    });
  }
  await db.close();
  await raw.close();
  return rows;
}

const directories: string[] = [];
const temp = () => {
  const directory = mkdtempSync(join(tmpdir(), 'mudb-bench-'));
  directories.push(directory);
  return directory;
};

const results = [
  ...(await run(
    'memory-level',
    () => new MemoryLevel({ storeEncoding: 'view' }),
    () => new MemoryLevel<string, Uint8Array>({ storeEncoding: 'view', keyEncoding: 'utf8', valueEncoding: 'view' }),
  )),
  ...(await run(
    'classic-level',
    () => new ClassicLevel(temp()),
    () => new ClassicLevel<string, Uint8Array>(temp(), { keyEncoding: 'utf8', valueEncoding: 'view' }),
  )),
];
for (const directory of directories) rmSync(directory, { recursive: true, force: true });

console.table(results);
const root = fileURLToPath(new URL('../../../', import.meta.url));
mkdirSync(join(root, 'bench-results'), { recursive: true });
const report = {
  benchmark: 'mudb',
  date: new Date().toISOString(),
  machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model },
  method: `sequential awaited operations, ${ROUNDS} alternating rounds of ${ROUND_MS} ms, best round; 10,000 keys, 100-byte values`,
  goal: 'ratio >= 0.85 for memory-level get and set',
  results,
};
writeFileSync(join(root, 'bench-results', 'mudb.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify({ benchmark: 'mudb', results }));
