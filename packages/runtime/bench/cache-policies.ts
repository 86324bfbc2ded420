/**
 * Keep-alive policies on a seeded Azure-shaped trace: cold starts and memory-time of each policy at equal memory
 * budgets, plus the cost of one cache operation at scale. Writes bench-results/runtime-cache.json at the repository
 * root and prints a table.
 *
 * Run: node --import tsx packages/runtime/bench/cache-policies.ts   (or npm run bench -w @mu/runtime)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  createDefaultPolicy,
  createGdsfPolicy,
  createHybridHistogramPolicy,
  createLruPolicy,
  createTtlPolicy,
  generateTrace,
  KeepAliveCache,
  type KeepAlivePolicy,
  type SimulationResult,
  simulateKeepAlive,
} from '../src/cache/index.js';
import { createRandom } from '../src/cache/trace.js';
import { createOraclePolicy } from './cache-oracle.js';

const SEED = Number(process.env.CACHE_BENCH_SEED ?? 1);
const GB = 1e9;
const BUDGET_SHARES = [0.1, 0.25, 0.4, 0.5, 0.6, 1];
const POLICIES: Array<() => KeepAlivePolicy> = [
  () => createLruPolicy(),
  () => createTtlPolicy(),
  () => createGdsfPolicy(),
  () => createHybridHistogramPolicy(),
  () => createDefaultPolicy({ expire: true }),
  () => createDefaultPolicy(),
];

// One operation at scale (measured first, on a fresh heap): 100,000 resident apps, a mix of hits and cold starts with evictions.
function operationCost(make: () => KeepAlivePolicy): { policy: string; nsPerOperation: number } {
  const apps = 200_000;
  let clock = 0;
  const cache = new KeepAliveCache<number>({ budgetBytes: 100_000 * 1_000, policy: make(), now: () => clock });
  const random = createRandom(7);
  const ids = Array.from({ length: apps }, (_, index) => `app-${index}`);
  const info = { sizeBytes: 1_000, coldStartMs: 50 };
  for (let i = 0; i < 100_000; i++) cache.set(ids[i]!, i, info);
  const operations = 300_000;
  const begin = performance.now();
  for (let i = 0; i < operations; i++) {
    clock += 10;
    // Skewed popularity: squaring a uniform draw favours low indexes.
    const index = Math.floor(random() ** 2 * apps);
    const id = ids[index]!;
    if (cache.get(id) === undefined) cache.set(id, index, info);
  }
  return { policy: cache.policy.name, nsPerOperation: ((performance.now() - begin) * 1e6) / operations };
}
const operationCosts = POLICIES.map(operationCost);

const started = performance.now();
const trace = generateTrace({ seed: SEED });
const invocationsPerApp = new Array<number>(trace.apps.length).fill(0);
for (const index of trace.appIndexes) invocationsPerApp[index]!++;
const active = trace.apps.filter((_, index) => invocationsPerApp[index]! > 0);
const footprintBytes = active.reduce((sum, app) => sum + app.sizeBytes, 0);
const sortedCounts = [...invocationsPerApp].sort((a, b) => b - a);
const topShare = (fraction: number) =>
  sortedCounts.slice(0, Math.ceil(fraction * sortedCounts.length)).reduce((a, b) => a + b, 0) / trace.times.length;
const traceSummary = {
  seed: SEED,
  apps: trace.apps.length,
  activeApps: active.length,
  invocations: trace.times.length,
  hours: trace.durationMs / 3_600_000,
  timerApps: trace.apps.filter((app) => app.kind === 'timer').length,
  footprintGb: footprintBytes / GB,
  top1PercentShare: topShare(0.01),
  top18_6PercentShare: topShare(0.186),
  appsAtMostHourly: invocationsPerApp.filter((count) => count <= 24).length / trace.apps.length,
  appsAtMostPerMinute: invocationsPerApp.filter((count) => count <= 1440).length / trace.apps.length,
};
const generateMs = performance.now() - started;

function run(budgetBytes: number): SimulationResult[] {
  const makers = [...POLICIES, () => createOraclePolicy(trace)];
  return makers.map((make) => simulateKeepAlive(trace, make(), Math.round(budgetBytes)));
}

const rows: SimulationResult[] = [];
const comparisons: Array<Record<string, number | string | boolean>> = [];
function compare(label: string, results: SimulationResult[]): void {
  const by = (name: string) => results.find((result) => result.policy === name)!;
  const smart = by('default');
  const ttl = by('ttl-10m');
  const lru = by('lru');
  const oracle = by('oracle (Belady)');
  const ttlRatio = ttl.coldStarts / smart.coldStarts;
  comparisons.push({
    budget: label,
    budgetGb: smart.budgetBytes / GB,
    ttlColdStarts: ttl.coldStarts,
    lruColdStarts: lru.coldStarts,
    defaultColdStarts: smart.coldStarts,
    oracleColdStarts: oracle.coldStarts,
    ttlOverDefault: ttlRatio,
    lruOverDefault: lru.coldStarts / smart.coldStarts,
    ttlOverOracle: ttl.coldStarts / oracle.coldStarts,
    goalMet: ttlRatio >= 3 && smart.coldStarts < lru.coldStarts,
  });
}

const simulationStarted = performance.now();
for (const share of BUDGET_SHARES) {
  const results = run(share * footprintBytes);
  rows.push(...results);
  compare(`${Math.round(share * 100)}% of footprint`, results);
}
// Equal memory-time: give every policy the memory the 10-minute TTL uses on average when nothing limits it.
const ttlUnbounded = simulateKeepAlive(trace, createTtlPolicy(), footprintBytes);
const isoBudget = ttlUnbounded.meanResidentGb * GB;
const isoResults = run(isoBudget);
compare('TTL-10m mean resident (equal memory-time)', isoResults);
const simulationMs = performance.now() - simulationStarted;

const output = {
  benchmark: 'runtime-cache',
  date: new Date().toISOString(),
  machine: { cores: availableParallelism(), node: process.version },
  trace: traceSummary,
  generateMs,
  simulationMs,
  results: [...rows, ...isoResults.map((result) => ({ ...result, note: 'equal memory-time' }))],
  ttlUnbounded,
  comparisons,
  operationCosts,
};
const resultsDir = fileURLToPath(new URL('../../../bench-results/', import.meta.url));
mkdirSync(resultsDir, { recursive: true });
writeFileSync(`${resultsDir}runtime-cache.json`, `${JSON.stringify(output, null, 2)}\n`);

const fixed = (value: number, digits: number) => value.toFixed(digits);
console.log(
  `trace: ${traceSummary.activeApps}/${traceSummary.apps} apps active, ${traceSummary.invocations} invocations in ` +
    `${traceSummary.hours} h, footprint ${fixed(traceSummary.footprintGb, 1)} GB, top 1% of apps = ` +
    `${fixed(100 * traceSummary.top1PercentShare, 1)}% of invocations (generated in ${fixed(generateMs, 0)} ms)`,
);
console.table(
  output.results.map((result) => ({
    'budget GB': fixed(result.budgetBytes / GB, 1),
    policy: result.policy,
    'cold starts': result.coldStarts,
    'cold %': fixed(result.coldStartPercent, 2),
    'cold s': fixed(result.coldStartSeconds, 0),
    GB·s: fixed(result.memoryGbSeconds, 0),
    'wasted GB·s': fixed(result.wastedGbSeconds, 0),
    'mean GB': fixed(result.meanResidentGb, 1),
    prewarms: `${result.usefulPrewarms}/${result.prewarms}`,
  })),
);
console.table(comparisons);
console.table(operationCosts);
console.log(JSON.stringify({ benchmark: 'runtime-cache', comparisons }));
