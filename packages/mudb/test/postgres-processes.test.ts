import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openMuDB } from '../src/index.js';
import { PostgresBackend } from '../src/postgres/index.js';
import {
  dropSchemas,
  freshSchema,
  postgresUnavailable,
  postgresUrl,
  requirePostgres,
} from './fixtures/postgres-env.js';

const worker = fileURLToPath(new URL('./fixtures/postgres-worker.ts', import.meta.url));
const unavailable = await postgresUnavailable();
if (unavailable !== undefined) {
  if (requirePostgres) {
    describe('PostgreSQL backend shared by processes', () => {
      it('reaches PostgreSQL (MU_REQUIRE_PG=1)', () => {
        throw new Error(unavailable);
      });
    });
  } else {
    console.warn(`Skipping the multi-process PostgreSQL tests: ${unavailable}. Set MU_PG_URL to point at one.`);
  }
}

// One schema for the file, created by the workers themselves as they start together.
const schema = freshSchema('processes');
const children = new Set<ChildProcessWithoutNullStreams>();
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  if (unavailable === undefined) await dropSchemas([schema]);
});

/**
 * Starts `count` workers, waits until every one has opened MuDB, releases them at once, and returns the
 * JSON line each printed. Each child is killed by PID if the test ends early.
 */
async function runWorkers(count: number, mode: string, namespace: string, iterations: number): Promise<unknown[]> {
  const started = Array.from({ length: count }, (_, index) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', worker, postgresUrl, schema, mode, namespace, String(iterations), String(index)],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    children.add(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const lines: string[] = [];
    let buffered = '';
    let onLine: (() => void) | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      lines.push(...parts);
      onLine?.();
    });
    const exited = new Promise<void>((resolve, reject) => {
      child.on('exit', (code, signal) => {
        children.delete(child);
        if (code === 0) resolve();
        else reject(new Error(`worker ${index} exited with ${code ?? signal}: ${stderr}`));
      });
    });
    const line = (n: number) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          if (lines.length > n) resolve(lines[n]!);
        };
        onLine = check;
        check();
        exited.then(() => reject(new Error(`worker ${index} ended before line ${n}: ${stderr}`)), reject);
      });
    return { child, line, exited };
  });
  const ready = await Promise.all(started.map(({ line }) => line(0)));
  expect(ready).toEqual(Array(count).fill('ready'));
  for (const { child } of started) child.stdin.end('go\n');
  const results = await Promise.all(started.map(async ({ line }) => JSON.parse(await line(1)) as unknown));
  await Promise.all(started.map(({ exited }) => exited));
  return results;
}

async function withDb<T>(use: (db: Awaited<ReturnType<typeof openMuDB>>, backend: PostgresBackend) => Promise<T>) {
  const backend = new PostgresBackend({ connectionString: postgresUrl, schema });
  const db = await openMuDB({ backend });
  try {
    return await use(db, backend);
  } finally {
    await db.close();
  }
}

describe.skipIf(unavailable !== undefined)('PostgreSQL backend shared by processes', () => {
  it('counts exactly 3,000 when three processes increment the same key 1,000 times each', async () => {
    const results = await runWorkers(3, 'increment', 'counters', 1000);
    expect(results).toEqual([{ done: 1000 }, { done: 1000 }, { done: 1000 }]);
    await withDb(async (db) => {
      expect(new TextDecoder().decode(await db.namespace('counters').bucket().get('counter'))).toBe('3000');
      expect(await db.namespace('counters').storedBytes()).toBe(1 + 'default'.length + 'counter'.length + 4);
    });
  }, 60_000);

  it('makes compare-and-swap loops in three processes converge without losing an update', async () => {
    const results = (await runWorkers(3, 'cas', 'documents', 60)) as { done: number; conflicts: number }[];
    expect(results.map((result) => result.done)).toEqual([60, 60, 60]);
    await withDb(async (db) => {
      const list = JSON.parse(
        new TextDecoder().decode(await db.namespace('documents').bucket().get('doc')),
      ) as string[];
      expect(list).toHaveLength(180);
      for (const id of [0, 1, 2]) {
        // Every process's appends are all there, in the order that process made them.
        expect(list.filter((item) => item.startsWith(`${id}:`))).toEqual(
          Array.from({ length: 60 }, (_, i) => `${id}:${i}`),
        );
      }
    });
  }, 60_000);

  it('keeps one exact stored-bytes figure and the quota across processes writing the same keys of one namespace', async () => {
    const results = (await runWorkers(3, 'fill', 'quota', 150)) as { written: number; refused: number }[];
    // 40 shared keys with values of up to 750 bytes would exceed the 10,000-byte quota: some must be refused.
    expect(results.reduce((sum, result) => sum + result.refused, 0)).toBeGreaterThan(0);
    await withDb(async (db, backend) => {
      const stored = await db.namespace('quota').storedBytes();
      const rows = await (backend.pool as pg.Pool).query(
        `SELECT coalesce(sum(octet_length(key) + octet_length(value)), 0)::bigint AS total
         FROM ${backend.tables.entries} WHERE ns = $1`,
        [Buffer.from('quota')],
      );
      expect(stored).toBe(Number(rows.rows[0].total));
      expect(stored).toBeLessThanOrEqual(10_000);
      expect(stored).toBeGreaterThan(5_000);
    });
  }, 60_000);
});
