/**
 * MuDB shared by several processes: through the MuDB server (LevelDB behind it) and through PostgreSQL,
 * beside the embedded stores, in one run. Writes bench-results/mudb-shared.json at the repository root.
 *
 * Each figure comes from separate client processes (1 or 3) running one operation for BENCH_SHARED_MS with
 * `depth` requests in flight each (1 = sequential latency, 16 = pipelined throughput).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const DURATION = Number(process.env.BENCH_SHARED_MS ?? 1500);
const SECRET = 'benchmark shared secret 0123456789';
const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const postgresUrl = process.env.MU_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function node(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
}

function output(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk;
    });
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`worker exited with ${code}`))));
  });
}

interface WorkerResult {
  ops: number;
  seconds: number;
  latencies: number[];
}

async function measure(target: string, operation: string, clients: number, depth: number) {
  const results = await Promise.all(
    Array.from({ length: clients }, (_, i) =>
      output(node(join(here, 'shared-worker.ts'), [target, operation, String(depth), String(DURATION), `c${i}`])).then(
        (text) => JSON.parse(text.trim().split('\n').pop()!) as WorkerResult,
      ),
    ),
  );
  const latencies = results.flatMap((result) => result.latencies).sort((a, b) => a - b);
  const quantile = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! / 1000;
  return {
    opsPerSec: Math.round(results.reduce((sum, result) => sum + result.ops / result.seconds, 0)),
    p50Ms: quantile(0.5),
    p99Ms: quantile(0.99),
  };
}

async function postgresReachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${postgresUrl} is not reachable: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

const directories: string[] = [];
const temp = () => {
  const directory = mkdtempSync(join(tmpdir(), 'mudb-shared-bench-'));
  directories.push(directory);
  return directory;
};

const server = node(join(here, '../test/fixtures/server-process.ts'), [temp(), '0', SECRET]);
const port = await new Promise<number>((resolve) => {
  server.stdout!.on('data', (chunk: Buffer) => {
    const match = /listening (\d+)/.exec(String(chunk));
    if (match) resolve(Number(match[1]));
  });
});

const schema = `mudb_bench_${process.pid}`;
const postgresSkip = await postgresReachable();
const targets: Array<{ name: string; target: string; clients: number[] }> = [
  { name: 'embedded memory-level', target: 'memory', clients: [1] },
  { name: 'embedded classic-level', target: `classic:${temp()}`, clients: [1] },
  { name: 'MuDB server (classic-level)', target: `server:${port}:${SECRET}`, clients: [1, 3] },
  ...(postgresSkip ? [] : [{ name: 'PostgreSQL', target: `postgres:${postgresUrl}:${schema}`, clients: [1, 3] }]),
];

const results = [];
try {
  for (const { name, target, clients } of targets) {
    for (const operation of ['get', 'set', 'increment']) {
      for (const clientCount of clients) {
        for (const depth of [1, 16]) {
          const figures = await measure(target, operation, clientCount, depth);
          results.push({ store: name, operation, clients: clientCount, inFlightPerClient: depth, ...figures });
          console.log(JSON.stringify(results.at(-1)));
        }
      }
    }
  }
} finally {
  server.kill('SIGTERM');
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  if (!postgresSkip) {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

console.table(results);
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(
  join(root, 'bench-results', 'mudb-shared.json'),
  `${JSON.stringify(
    {
      benchmark: 'mudb-shared',
      date: new Date().toISOString(),
      machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model },
      method: `separate client processes, ${DURATION} ms per figure, 100-byte values; inFlightPerClient 1 = sequential, 16 = pipelined`,
      ...(postgresSkip ? { postgresSkipped: postgresSkip } : {}),
      results,
    },
    null,
    2,
  )}\n`,
);
