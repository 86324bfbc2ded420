/**
 * Runtime benchmarks (`npm run bench -w @mu/runtime`): warm requests through the public API vs a plain JS
 * handler in the same run, cold starts with and without the transpile cache, guest -> MuDB get per call.
 * Writes bench-results/runtime.json at the repository root and prints a table.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openMuDB } from '@mu/mudb';
import { createRuntime, type Runtime } from '../src/index.js';
import { buildFixture, buildHttpFixture } from '../test/helpers/fixtures.js';
import { measureWasiHttp, percentile } from './wasi-http-measure.js';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

type Handler = (request: Request) => Promise<Response>;

/** A benchmark of failures would flatter the runtime: every answer is checked. */
function ok(response: Response): Response {
  if (response.status !== 200) throw new Error(`the benchmark got HTTP ${response.status}, not 200`);
  return response;
}

/** Latency at concurrency 1, and throughput at `concurrency`. */
async function measure(handler: Handler, requests: number, concurrency: number) {
  const url = 'http://hello.local/bench';
  for (let i = 0; i < 2_000; i++) {
    const text = await ok(await handler(new Request(url))).text();
    if (text !== 'hello GET /bench 0') throw new Error(`unexpected answer ${JSON.stringify(text)}`);
  }
  const latencies: number[] = [];
  for (let i = 0; i < requests / 4; i++) {
    const started = performance.now();
    await ok(await handler(new Request(url))).arrayBuffer();
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < requests) await ok(await handler(new Request(url))).arrayBuffer();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    reqPerSec: requests / seconds,
  };
}

async function warmRuntime(cacheDir: string): Promise<Runtime> {
  const runtime = await createRuntime({ workers: 2, cacheDir });
  const warm = await buildFixture('trap');
  await runtime.register('warm-up', { component: warm.bytes });
  // start both workers and load the glue machinery before timing anything
  await Promise.all([0, 1, 2, 3].map(() => runtime.fetch('warm-up', new Request('http://w.local/'))));
  return runtime;
}

/**
 * Bytes on disk → first response, ms, and the longest the main thread's event loop went without a turn meanwhile
 * (a 1 ms interval timer: what other apps' requests, MuDB and health checks would have waited).
 */
async function coldStart(fixturePath: string, cacheDir: string): Promise<{ ms: number; longestBlockMs: number }> {
  const runtime = await warmRuntime(cacheDir);
  let last = performance.now();
  let longestBlockMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longestBlockMs = Math.max(longestBlockMs, now - last);
    last = now;
  }, 1);
  try {
    const started = performance.now();
    last = started;
    const bytes = new Uint8Array(await readFile(fixturePath));
    await runtime.register('cold', { component: bytes });
    const response = await runtime.fetch('cold', new Request('http://cold.local/'));
    await ok(response).text();
    const ms = performance.now() - started;
    longestBlockMs = Math.max(longestBlockMs, performance.now() - last);
    return { ms, longestBlockMs };
  } finally {
    clearInterval(ticker);
    await runtime.close();
  }
}

async function main(): Promise<void> {
  const hello = await buildFixture('hello');
  const kv = await buildFixture('kv');
  const scratch = await mkdtemp(join(tmpdir(), 'mu-runtime-bench-'));
  const results: Record<string, unknown> = {
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version },
    date: new Date().toISOString(),
  };
  try {
    // warm requests
    const cacheDir = join(scratch, 'cache');
    const runtime = await createRuntime({ workers: 2, cacheDir });
    await runtime.register('hello', { component: hello.bytes });
    const encoder = new TextEncoder();
    const plain: Handler = async (request) => {
      const body = request.body === null ? new Uint8Array(0) : new Uint8Array(await request.arrayBuffer());
      const path = request.url.replace(/^[a-z]+:\/\/[^/]*/, '');
      return new Response(encoder.encode(`hello ${request.method} ${path} ${body.length}`), {
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
    };
    const requests = Number(process.env.MU_BENCH_REQUESTS ?? 40_000);
    const guest = await measure((request) => runtime.fetch('hello', request), requests, 32);
    const baseline = await measure(plain, requests, 32);
    results.warm = {
      requests,
      workers: 2,
      concurrencyForThroughput: 32,
      quickjsHello: guest,
      plainJsHandler: baseline,
      p50Ratio: guest.p50Ms / baseline.p50Ms,
    };

    // guest -> MuDB get per call
    const db = await openMuDB();
    const kvRuntime = await createRuntime({ workers: 1, cacheDir, mudb: db });
    await kvRuntime.register('kv', { component: kv.bytes });
    await db.namespace('kv').bucket('default').set('bench', 'value');
    const loop = async (n: number) => {
      const started = performance.now();
      const { found } = (await ok(
        await kvRuntime.fetch('kv', new Request(`http://kv.local/get-loop/${n}`)),
      ).json()) as {
        found: number;
      };
      if (found !== n) throw new Error(`the guest found the key ${found} times out of ${n}`);
      return performance.now() - started;
    };
    await loop(1000);
    const perCall: number[] = [];
    for (let i = 0; i < 9; i++) {
      const empty = await loop(0);
      const full = await loop(10_000);
      perCall.push(((full - empty) * 1000) / 10_000);
    }
    results.kvGet = {
      callsPerSample: 10_000,
      samples: perCall.length,
      p50Us: median(perCall),
      minUs: Math.min(...perCall),
    };
    await kvRuntime.close();
    await db.close();
    await runtime.close();

    // cold starts: component bytes on disk -> first response, workers already running
    const withoutCache: number[] = [];
    const withCache: number[] = [];
    const blockWithout: number[] = [];
    const blockWith: number[] = [];
    for (let i = 0; i < 5; i++) {
      const fresh = join(scratch, `cold-${i}`);
      const first = await coldStart(hello.path, fresh);
      const second = await coldStart(hello.path, fresh);
      withoutCache.push(first.ms);
      blockWithout.push(first.longestBlockMs);
      withCache.push(second.ms);
      blockWith.push(second.longestBlockMs);
    }
    results.coldStart = {
      runs: withoutCache.length,
      withoutTranspileCacheMs: median(withoutCache),
      withTranspileCacheMs: median(withCache),
      longestMainThreadBlockWithoutCacheMs: median(blockWithout),
      longestMainThreadBlockWithCacheMs: median(blockWith),
      allWithout: withoutCache.map((ms) => Math.round(ms * 10) / 10),
      allWith: withCache.map((ms) => Math.round(ms * 10) / 10),
    };
    // wasi:http (StarlingMonkey): a fresh instance per request, from the worker's spares when one is ready
    // (paced single requests, a steady 100/s, bursts of up to `spareInstances`), and back to back (most wait for
    // their instance)
    const httpApp = await buildHttpFixture('hello');
    const httpRuntime = await createRuntime({ workers: 1, cacheDir });
    await httpRuntime.register('http', { component: httpApp.bytes });
    const measured = await measureWasiHttp(httpRuntime, 'http');
    results.wasiHttp = {
      app: 'StarlingMonkey hello (componentize-js), fetch-event',
      componentBytes: httpApp.bytes.byteLength,
      ...measured,
    };
    await httpRuntime.close();
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  await mkdir(join(repositoryRoot, 'bench-results'), { recursive: true });
  await writeFile(join(repositoryRoot, 'bench-results/runtime.json'), `${JSON.stringify(results, null, 2)}\n`);
  const warm = results.warm as { quickjsHello: Record<string, number>; plainJsHandler: Record<string, number> };
  const cold = results.coldStart as Record<string, number>;
  const kvGet = results.kvGet as Record<string, number>;
  const http = results.wasiHttp as Record<string, Record<string, number>>;
  console.table({
    'warm hello (QuickJS, 2 workers)': warm.quickjsHello,
    'plain JS handler': warm.plainJsHandler,
  });
  console.table({
    'cold start, no transpile cache (ms)': cold.withoutTranspileCacheMs,
    'cold start, transpile cache (ms)': cold.withTranspileCacheMs,
    'cold start, no transpile cache: longest main-thread block (ms)': cold.longestMainThreadBlockWithoutCacheMs,
    'guest -> MuDB get (µs per call)': kvGet.p50Us,
    'wasi:http request, pre-instantiated, paced 25 ms (p50 ms)': http.pacedFromPreinstantiated?.p50Ms,
    'wasi:http request, pre-instantiated, every 10 ms (p50 ms)': http.steadyFromPreinstantiated?.p50Ms,
    'wasi:http request, pre-instantiated, bursts of 4 (p50 ms)': http.burstsFromPreinstantiated?.p50Ms,
    'wasi:http request, back to back (p50 ms)': http.backToBack?.p50Ms,
  });
  console.log(JSON.stringify(results));
}

await main();
