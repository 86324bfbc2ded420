/**
 * HTTP benchmark: autocannon through the gateway and through a bare undici proxy, both in front of the same
 * local origin, in the same run: pairs of rounds back to back, order alternating, ratio = median over pairs.
 * Writes bench-results/gateway-proxy.json at the repository root and prints a table.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const CONNECTIONS = 50;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 4);
const WARMUP_S = 1;
const PAIRS = Number(process.env.BENCH_PAIRS ?? 6);
const script = fileURLToPath(new URL('./servers.mjs', import.meta.url));
const children: ChildProcess[] = [];
const cpuOf = new Map<string, ChildProcess>();
const CPU_RATE = 2000;

/** CPU time (µs) a child has used so far. */
function cpuTime(mode: string): Promise<number> {
  const child = cpuOf.get(mode)!;
  return new Promise((resolve) => {
    child.once('message', (micros) => resolve(micros as number));
    child.send('cpu');
  });
}

/** CPU µs per request of the proxy and of the origin at a fixed, moderate rate (less sensitive to other load). */
async function cpuPerRequest(mode: string, url: string) {
  await autocannon({ url, connections: 10, duration: 1, overallRate: CPU_RATE });
  const [proxyBefore, originBefore] = [await cpuTime(mode), await cpuTime('origin')];
  const result = await autocannon({ url, connections: 10, duration: DURATION_S, overallRate: CPU_RATE });
  const [proxyAfter, originAfter] = [await cpuTime(mode), await cpuTime('origin')];
  const requests = result.requests.total;
  return { proxyMicros: (proxyAfter - proxyBefore) / requests, originMicros: (originAfter - originBefore) / requests };
}

async function start(mode: string, origin?: string): Promise<string> {
  const child = spawn(process.execPath, [script, mode, ...(origin ? [origin] : [])], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  children.push(child);
  cpuOf.set(mode, child);
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.trim());
    });
    child.once('exit', (code) => reject(new Error(`${mode} exited with ${code}`)));
  });
}

function load(url: string, duration: number) {
  return autocannon({ url, connections: CONNECTIONS, duration, pipelining: 1 });
}

interface Round {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

async function round(url: string): Promise<Round> {
  await load(url, WARMUP_S);
  const result = await load(url, DURATION_S);
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function combine(rounds: Round[]) {
  return {
    requestsPerSecond: Math.round(median(rounds.map((each) => each.requestsPerSecond))),
    p50Ms: median(rounds.map((each) => each.p50Ms)),
    p99Ms: median(rounds.map((each) => each.p99Ms)),
    errors: rounds.reduce((sum, each) => sum + each.errors + each.non2xx, 0),
    rounds,
  };
}

try {
  const origin = await start('origin');
  const [gatewayUrl, bareUrl] = await Promise.all([start('gateway', origin), start('bare', origin)]);
  const loadBefore = os.loadavg();
  const bare: Round[] = [];
  const gateway: Round[] = [];
  const pairRatios: number[] = [];
  // Back-to-back pairs, order alternating, so that load from other jobs on the machine hits both alike.
  for (let pair = 0; pair < PAIRS; pair++) {
    if (pair % 2 === 0) {
      bare.push(await round(`${bareUrl}/hello`));
      gateway.push(await round(`${gatewayUrl}/42/hello`));
    } else {
      gateway.push(await round(`${gatewayUrl}/42/hello`));
      bare.push(await round(`${bareUrl}/hello`));
    }
    pairRatios.push(gateway[pair]!.requestsPerSecond / bare[pair]!.requestsPerSecond);
  }
  type CpuSample = { proxyMicros: number; originMicros: number };
  const cpu: { gateway: CpuSample[]; bare: CpuSample[] } = { gateway: [], bare: [] };
  for (let pair = 0; pair < 2; pair++) {
    cpu.bare.push(await cpuPerRequest('bare', `${bareUrl}/hello`));
    cpu.gateway.push(await cpuPerRequest('gateway', `${gatewayUrl}/42/hello`));
  }
  const cpuSummary = {
    rate: CPU_RATE,
    gatewayProxyMicros: median(cpu.gateway.map((each) => each.proxyMicros)),
    bareProxyMicros: median(cpu.bare.map((each) => each.proxyMicros)),
    originBehindGatewayMicros: median(cpu.gateway.map((each) => each.originMicros)),
    originBehindBareMicros: median(cpu.bare.map((each) => each.originMicros)),
    samples: cpu,
  };
  const results = { gateway: combine(gateway), bareUndiciProxy: combine(bare) };
  const ratio = median(pairRatios);
  const report = {
    benchmark: 'gateway-proxy',
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      node: process.version,
      loadavgBefore: loadBefore,
      loadavgAfter: os.loadavg(),
    },
    parameters: {
      connections: CONNECTIONS,
      durationSeconds: DURATION_S,
      warmupSeconds: WARMUP_S,
      pairs: PAIRS,
      order: 'pairs of rounds back to back, bare first in even pairs, gateway first in odd pairs',
      ratio: 'median over pairs of gateway req/s / bare req/s',
      processes: 'autocannon (this process), gateway, bare proxy and origin each in its own process',
    },
    results,
    cpuPerRequest: cpuSummary,
    pairRatios,
    ratio,
    goal: { ratio: '>= 0.9', met: ratio >= 0.9 },
  };
  mkdirSync(new URL('../../../bench-results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('../../../bench-results/gateway-proxy.json', import.meta.url),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  console.table(
    Object.entries(results).map(([name, result]) => ({
      proxy: name,
      'req/s': result.requestsPerSecond,
      'p50 ms': result.p50Ms,
      'p99 ms': result.p99Ms,
      errors: result.errors,
    })),
  );
  console.log(
    `CPU per request at ${CPU_RATE} req/s: gateway ${cpuSummary.gatewayProxyMicros.toFixed(1)} µs, bare proxy ${cpuSummary.bareProxyMicros.toFixed(1)} µs; origin behind them ${cpuSummary.originBehindGatewayMicros.toFixed(1)} / ${cpuSummary.originBehindBareMicros.toFixed(1)} µs`,
  );
  console.log(JSON.stringify({ benchmark: 'gateway-proxy', ratio: Number(ratio.toFixed(3)), goal: report.goal }));
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
}
