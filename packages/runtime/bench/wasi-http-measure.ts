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

/**
 * A proxy-world app gets a fresh instance per request: paced `paceMs` apart, so the pre-made spare is ready, and
 * back to back (the next instance is made while the request waits). 20 warm-up requests, then 200 of each. Every
 * answer must be a 200: a benchmark of failures would flatter the runtime.
 */
export async function measureWasiHttp(
  runtime: Runtime,
  jobId: string,
  paceMs = 25,
): Promise<{ pacedFromPreinstantiated: Latency; backToBack: Latency }> {
  const once = async () => {
    const started = performance.now();
    const response = await runtime.fetch(jobId, new Request('http://http.local/bench'));
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
    await response.text();
    return performance.now() - started;
  };
  for (let i = 0; i < 20; i++) await once();
  const paced: number[] = [];
  for (let i = 0; i < 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, paceMs));
    paced.push(await once());
  }
  const backToBack: number[] = [];
  for (let i = 0; i < 200; i++) backToBack.push(await once());
  paced.sort((a, b) => a - b);
  backToBack.sort((a, b) => a - b);
  return {
    pacedFromPreinstantiated: { p50Ms: percentile(paced, 50), p99Ms: percentile(paced, 99) },
    backToBack: { p50Ms: percentile(backToBack, 50), p99Ms: percentile(backToBack, 99) },
  };
}
