/**
 * Balancing simulation, no network: 10 nodes, 1,000 jobs with Zipf(1.0) popularity, 1,000,000 requests
 * (Poisson arrivals), each node with an LRU warm cache of fixed capacity, service time with a cold-start
 * penalty. Seeded: the same numbers (but the timings) on every run.
 * Writes bench-results/gateway-sim.json at the repository root and prints a table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import {
  type BalancingStrategy,
  createBoundedLoadStrategy,
  createConsistentHashStrategy,
  createLeastLoadedStrategy,
  createRoundRobinStrategy,
} from '../src/index.js';
import { createRandom } from '../src/random.js';

const NODES = 10;
const JOBS = 1000;
const REQUESTS = 1_000_000;
const ZIPF_S = 1.0;
const CACHE_CAPACITY = 100; // apps a node keeps warm: the fleet holds every app exactly once
const WARM_MS = 2; // mean service time of a warm request (exponential)
const COLD_MS = 35; // cold-start penalty (notes/runtime.md: QuickJS component 31-36 ms)
const ARRIVALS_PER_MS = 100; // ≈ 200+ requests in flight, 20+ per node
const SEED = 20_260_601;

interface SimNode {
  id: string;
  inFlight: number;
  available: boolean;
  cache: Map<string, true>;
}

/** Job ids as the chain numbers them, popularity rank shuffled so rank and id are unrelated. */
function makeJobs(random: () => number): string[] {
  const ids = Array.from({ length: JOBS }, (_, index) => String(index + 1));
  for (let index = ids.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [ids[index], ids[other]] = [ids[other]!, ids[index]!];
  }
  return ids;
}

function zipfSampler(random: () => number): () => number {
  const cdf = new Float64Array(JOBS);
  let sum = 0;
  for (let rank = 0; rank < JOBS; rank++) {
    sum += 1 / (rank + 1) ** ZIPF_S;
    cdf[rank] = sum;
  }
  for (let rank = 0; rank < JOBS; rank++) cdf[rank]! /= sum;
  return () => {
    const u = random();
    let low = 0;
    let high = JOBS - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cdf[middle]! < u) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

/** Min-heap of completion times (parallel arrays, no allocation per request). */
class Completions {
  times = new Float64Array(1 << 16);
  owners = new Int32Array(1 << 16);
  size = 0;
  push(time: number, owner: number): void {
    if (this.size === this.times.length) {
      const times = new Float64Array(this.size * 2);
      times.set(this.times);
      const owners = new Int32Array(this.size * 2);
      owners.set(this.owners);
      this.times = times;
      this.owners = owners;
    }
    let index = this.size++;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.times[parent]! <= time) break;
      this.times[index] = this.times[parent]!;
      this.owners[index] = this.owners[parent]!;
      index = parent;
    }
    this.times[index] = time;
    this.owners[index] = owner;
  }
  /** Removes the earliest completion and returns its owner. */
  pop(): number {
    const owner = this.owners[0]!;
    const lastTime = this.times[--this.size]!;
    const lastOwner = this.owners[this.size]!;
    let index = 0;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && this.times[child + 1]! < this.times[child]!) child++;
      if (this.times[child]! >= lastTime) break;
      this.times[index] = this.times[child]!;
      this.owners[index] = this.owners[child]!;
      index = child;
    }
    this.times[index] = lastTime;
    this.owners[index] = lastOwner;
    return owner;
  }
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function simulate(name: string, factory: () => BalancingStrategy) {
  const random = createRandom(SEED);
  const jobs = makeJobs(random);
  const nextRank = zipfSampler(random);
  const strategy = factory();
  const nodes: SimNode[] = Array.from({ length: NODES }, (_, index) => ({
    id: `node-${index}`,
    inFlight: 0,
    available: true,
    cache: new Map(),
  }));
  const indexOf = new Map(nodes.map((node, index) => [node, index]));
  const completions = new Completions();
  const requestJobs: string[] = new Array(REQUESTS);
  const decisionNs = new Float64Array(REQUESTS);
  let now = 0;
  let warm = 0;
  let sumMax = 0;
  let sumAverage = 0;
  const ratios = new Float64Array(REQUESTS);

  for (let request = 0; request < REQUESTS; request++) {
    now += -Math.log(1 - random()) / ARRIVALS_PER_MS;
    while (completions.size > 0 && completions.times[0]! <= now) nodes[completions.pop()]!.inFlight--;
    const jobId = jobs[nextRank()]!;
    requestJobs[request] = jobId;
    const started = process.hrtime.bigint();
    const node = strategy.choose(jobId, nodes) as SimNode;
    decisionNs[request] = Number(process.hrtime.bigint() - started);
    node.inFlight++;
    let serviceMs = -Math.log(1 - random()) * WARM_MS;
    if (node.cache.has(jobId)) {
      warm++;
      node.cache.delete(jobId);
    } else {
      serviceMs += COLD_MS;
      if (node.cache.size >= CACHE_CAPACITY) node.cache.delete(node.cache.keys().next().value!);
    }
    node.cache.set(jobId, true);
    completions.push(now + serviceMs, indexOf.get(node)!);
    let total = 0;
    let max = 0;
    for (const each of nodes) {
      total += each.inFlight;
      if (each.inFlight > max) max = each.inFlight;
    }
    sumMax += max;
    sumAverage += total / NODES;
    ratios[request] = max / (total / NODES);
  }

  // Throughput of decisions alone, over the same request sequence, loads frozen as the run left them.
  const throughputStrategy = factory();
  let started = process.hrtime.bigint();
  for (let request = 0; request < REQUESTS; request++) throughputStrategy.choose(requestJobs[request]!, nodes);
  const decisionsPerSecond = REQUESTS / (Number(process.hrtime.bigint() - started) / 1e9);

  // Cost of the clock itself, measured the same way, to read the per-decision figures against.
  const clock = new Float64Array(100_000);
  for (let index = 0; index < clock.length; index++) {
    started = process.hrtime.bigint();
    clock[index] = Number(process.hrtime.bigint() - started);
  }

  // Home node (zero load) of each job, then again with each node removed in turn.
  let movedMean: number | null = null;
  let movedMax: number | null = null;
  if (strategy.supports.affinity) {
    const idle = nodes.map((node) => ({ id: node.id, inFlight: 0, available: true }));
    const homeStrategy = factory();
    const homes = jobs.map((job) => homeStrategy.choose(job, idle)!.id);
    const shares: number[] = [];
    for (let leaving = 0; leaving < NODES; leaving++) {
      const rest = idle.filter((_, index) => index !== leaving);
      let moved = 0;
      jobs.forEach((job, index) => {
        if (homeStrategy.choose(job, rest)!.id !== homes[index]) moved++;
      });
      shares.push(moved / JOBS);
    }
    movedMean = shares.reduce((sum, share) => sum + share, 0) / NODES;
    movedMax = Math.max(...shares);
  }

  decisionNs.sort();
  ratios.sort();
  clock.sort();
  return {
    strategy: name,
    warmHitPercent: (100 * warm) / REQUESTS,
    maxToAverageInFlight: sumMax / sumAverage,
    maxToAverageInFlightP99: percentile(ratios, 0.99),
    averageInFlightPerNode: sumAverage / REQUESTS,
    decisionsPerSecond: Math.round(decisionsPerSecond),
    decisionP50Ns: percentile(decisionNs, 0.5),
    decisionP99Ns: percentile(decisionNs, 0.99),
    clockP50Ns: percentile(clock, 0.5),
    clockP99Ns: percentile(clock, 0.99),
    movedShareMean: movedMean,
    movedShareMax: movedMax,
  };
}

const variants: [string, () => BalancingStrategy][] = [
  ['default: bounded-load ε=0.25 r=1', () => createBoundedLoadStrategy({ epsilon: 0.25 })],
  ['bounded-load ε=0.25 r=2', () => createBoundedLoadStrategy({ epsilon: 0.25, replication: 2 })],
  ['consistent-hash', () => createConsistentHashStrategy()],
  ['round-robin', () => createRoundRobinStrategy()],
  ['least-loaded (p2c)', () => createLeastLoadedStrategy({ seed: SEED })],
];

const results = variants.map(([name, factory]) => simulate(name, factory));
const main = results[0]!;
const goals = {
  warmHitPercent: { goal: '>= 90', met: main.warmHitPercent >= 90 },
  maxToAverageInFlight: { goal: '<= 1.25', met: main.maxToAverageInFlight <= 1.25 },
  movedShareMean: { goal: `<= ${(1 / NODES + 0.01).toFixed(2)}`, met: (main.movedShareMean ?? 1) <= 1 / NODES + 0.01 },
  decisionP99Ns: { goal: '<= 2000', met: main.decisionP99Ns <= 2000 },
};
const report = {
  benchmark: 'gateway-sim',
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
  parameters: {
    nodes: NODES,
    jobs: JOBS,
    requests: REQUESTS,
    zipf: ZIPF_S,
    cacheCapacityPerNode: CACHE_CAPACITY,
    warmServiceMsMean: WARM_MS,
    coldStartPenaltyMs: COLD_MS,
    arrivalsPerMs: ARRIVALS_PER_MS,
    seed: SEED,
    notes:
      'maxToAverageInFlight = mean over arrivals of the busiest node / mean of the average node; ' +
      'decision times include the clock read (clockP50Ns/clockP99Ns); moved share = jobs whose zero-load home changes when one node leaves, mean and max over the 10 possible leavers',
  },
  results,
  goals,
};
mkdirSync(new URL('../../../bench-results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('../../../bench-results/gateway-sim.json', import.meta.url),
  `${JSON.stringify(report, null, 2)}\n`,
);
console.table(
  results.map((result) => ({
    strategy: result.strategy,
    'warm %': result.warmHitPercent.toFixed(1),
    'max/avg': result.maxToAverageInFlight.toFixed(3),
    'max/avg p99': result.maxToAverageInFlightP99.toFixed(2),
    'decisions/s': result.decisionsPerSecond.toLocaleString('en'),
    'p99 ns': result.decisionP99Ns,
    'moved mean': result.movedShareMean?.toFixed(3) ?? '-',
    'moved max': result.movedShareMax?.toFixed(3) ?? '-',
  })),
);
console.log(JSON.stringify({ benchmark: 'gateway-sim', goals }));
