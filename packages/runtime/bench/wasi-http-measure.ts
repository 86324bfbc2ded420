/** The wasi:http measurement shared by runtime.bench.ts and wasi-http.bench.ts. */
import type { Runtime } from '../src/index.js';

/** The `p`th percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/** p50 and p99 of a job's requests, ms. */
export interface Latency {
  p50Ms: number;
  p99Ms: number;
}

/** Latency of one way of sending requests, and how many of them found a pre-made instance. */
export interface PoolLatency extends Latency {
  requests: number;
  /** Requests that had to instantiate (no spare was ready). */
  instantiated: number;
}

/**
 * A proxy-world app gets a fresh instance per request, from the worker's spares when one is ready. Three ways of
 * sending, after 20 warm-up requests, every answer checked (a benchmark of failures would flatter the runtime):
 * - paced: 200 single requests `paceMs` apart (the worker has refilled its spares; everything has gone cold);
 * - steady: 200 requests `steadyMs` apart (a rate at which each spare must be made between two requests);
 * - bursts: 50 bursts of `burst` requests back to back (no more than the runtime's `spareInstances`), 50 ms apart;
 * - back to back: 200 requests in a row (more than the spares: most wait for their instance to be made).
 */
export async function measureWasiHttp(
  runtime: Runtime,
  jobId: string,
  { paceMs = 25, steadyMs = 10, burst = 4 }: { paceMs?: number; steadyMs?: number; burst?: number } = {},
): Promise<{
  pacedFromPreinstantiated: PoolLatency;
  steadyFromPreinstantiated: PoolLatency;
  burstsFromPreinstantiated: PoolLatency;
  backToBack: PoolLatency;
}> {
  const once = async () => {
    const started = performance.now();
    const response = await runtime.fetch(jobId, new Request('http://http.local/bench'));
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
    await response.text();
    return performance.now() - started;
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const summarize = (times: number[]): PoolLatency => {
    const usage = runtime.takeUsage().get(jobId);
    if (usage === undefined || usage.requests !== times.length || usage.errors > 0) {
      throw new Error(`unexpected usage: ${JSON.stringify(usage)}`);
    }
    times.sort((a, b) => a - b);
    return {
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      requests: times.length,
      instantiated: usage.coldStarts,
    };
  };
  for (let i = 0; i < 20; i++) await once();
  await sleep(100);
  runtime.takeUsage();
  const paced: number[] = [];
  for (let i = 0; i < 200; i++) {
    await sleep(paceMs);
    paced.push(await once());
  }
  const pacedLatency = summarize(paced);
  const steady: number[] = [];
  for (let i = 0; i < 200; i++) {
    const started = performance.now();
    steady.push(await once());
    await sleep(Math.max(0, steadyMs - (performance.now() - started)));
  }
  const steadyLatency = summarize(steady);
  const bursts: number[] = [];
  for (let i = 0; i < 50; i++) {
    await sleep(50);
    for (let j = 0; j < burst; j++) bursts.push(await once());
  }
  const burstLatency = summarize(bursts);
  const backToBack: number[] = [];
  for (let i = 0; i < 200; i++) backToBack.push(await once());
  return {
    pacedFromPreinstantiated: pacedLatency,
    steadyFromPreinstantiated: steadyLatency,
    burstsFromPreinstantiated: burstLatency,
    backToBack: summarize(backToBack),
  };
}
