/**
 * The wasi:http part of runtime.bench.ts alone, for quick iteration (`node --import tsx bench/wasi-http.bench.ts`):
 * the same StarlingMonkey hello app, the same paced, steady, burst and back-to-back loops; every run prints one JSON line.
 * Knobs (environment): MU_BENCH_RUNS repeats the whole measurement, each with a new runtime (default 1);
 * MU_BENCH_PACE_MS changes the pause of the paced loop (default 25, as in runtime.bench.ts);
 * MU_BENCH_WORKERS the runtime's workers (default 1, as in runtime.bench.ts);
 * MU_BENCH_BUFFERED=1 sets a receipt signer, which makes the runtime buffer responses instead of streaming them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '../src/index.js';
import { buildHttpFixture } from '../test/helpers/fixtures.js';
import { measureWasiHttp, type PoolLatency } from './wasi-http-measure.js';

const round = ({ p50Ms, p99Ms, ...counts }: PoolLatency) => ({
  p50Ms: Math.round(p50Ms * 1000) / 1000,
  p99Ms: Math.round(p99Ms * 1000) / 1000,
  ...counts,
});

async function main(): Promise<void> {
  const runs = Number(process.env.MU_BENCH_RUNS ?? 1);
  const httpApp = await buildHttpFixture('hello');
  const scratch = await mkdtemp(join(tmpdir(), 'mu-runtime-bench-http-'));
  try {
    for (let run = 0; run < runs; run++) {
      const httpRuntime = await createRuntime({
        workers: Number(process.env.MU_BENCH_WORKERS ?? 1),
        cacheDir: join(scratch, 'cache'),
        ...(process.env.MU_BENCH_BUFFERED ? { signReceipt: () => 'unsigned' } : {}),
      });
      await httpRuntime.register('http', { component: httpApp.bytes });
      const measured = await measureWasiHttp(httpRuntime, 'http', {
        paceMs: Number(process.env.MU_BENCH_PACE_MS ?? 25),
      });
      console.log(
        JSON.stringify({
          run,
          pacedFromPreinstantiated: round(measured.pacedFromPreinstantiated),
          steadyFromPreinstantiated: round(measured.steadyFromPreinstantiated),
          burstsFromPreinstantiated: round(measured.burstsFromPreinstantiated),
          backToBack: round(measured.backToBack),
        }),
      );
      await httpRuntime.close();
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
