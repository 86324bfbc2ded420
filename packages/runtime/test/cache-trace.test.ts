import { describe, expect, it } from 'vitest';
import {
  createDefaultPolicy,
  createLruPolicy,
  createTtlPolicy,
  generateTrace,
  type KeepAlivePolicy,
  simulateKeepAlive,
  type Trace,
} from '../src/cache/index.js';

const HOUR = 3_600_000;
const MIB = 1_048_576;

function invocationsPerApp(trace: Trace): number[] {
  const counts = new Array<number>(trace.apps.length).fill(0);
  for (const index of trace.appIndexes) counts[index]!++;
  return counts;
}

describe('generateTrace', () => {
  const trace = generateTrace({ seed: 5, apps: 1_000, durationMs: 24 * HOUR });
  const counts = invocationsPerApp(trace);

  it('is deterministic for a seed and differs across seeds', () => {
    const again = generateTrace({ seed: 5, apps: 1_000, durationMs: 24 * HOUR });
    // Byte comparison: toEqual over millions of elements is slow.
    expect(Buffer.from(again.times.buffer).equals(Buffer.from(trace.times.buffer))).toBe(true);
    expect(Buffer.from(again.appIndexes.buffer).equals(Buffer.from(trace.appIndexes.buffer))).toBe(true);
    expect(again.apps).toEqual(trace.apps);
    const other = generateTrace({ seed: 6, apps: 1_000, durationMs: 24 * HOUR });
    expect(other.times.length).not.toBe(trace.times.length);
  });

  it('orders invocations in time within the trace', () => {
    expect(trace.times.length).toBe(trace.appIndexes.length);
    let ordered = true;
    for (let i = 1; i < trace.times.length; i++) if (trace.times[i]! < trace.times[i - 1]!) ordered = false;
    expect(ordered).toBe(true);
    expect(trace.times[0]!).toBeGreaterThanOrEqual(0);
    expect(trace.times.at(-1)!).toBeLessThan(24 * HOUR);
  });

  it('has the Azure popularity shape: a few apps get most invocations, most apps are rare', () => {
    const sorted = [...counts].sort((a, b) => b - a);
    const share = (fraction: number) =>
      sorted.slice(0, Math.ceil(fraction * sorted.length)).reduce((a, b) => a + b, 0) / trace.times.length;
    expect(share(0.01)).toBeGreaterThan(0.1); // top 1% of apps: over a tenth of all invocations (capped rates)
    expect(share(0.186)).toBeGreaterThan(0.9); // Azure: top 18.6% = 99.6%
    // Azure: 45% of apps are invoked at most hourly, 81% at most once a minute on average.
    const atMostHourly = counts.filter((count) => count <= 24).length / counts.length;
    const atMostPerMinute = counts.filter((count) => count <= 1_440).length / counts.length;
    expect(atMostHourly).toBeGreaterThan(0.35);
    expect(atMostHourly).toBeLessThan(0.55);
    expect(atMostPerMinute).toBeGreaterThan(0.75);
    expect(atMostPerMinute).toBeLessThan(0.9);
    // Rates span orders of magnitude.
    const active = counts.filter((count) => count > 0);
    expect(Math.max(...active) / Math.min(...active)).toBeGreaterThan(1_000);
  });

  it('fires timer apps on their cron period', () => {
    const timer = trace.apps.findIndex((app, index) => app.kind === 'timer' && counts[index]! >= 10);
    expect(timer).toBeGreaterThanOrEqual(0);
    const { periodMs } = trace.apps[timer]!;
    const times = [...trace.times].filter((_, i) => trace.appIndexes[i] === timer);
    const gaps = times.slice(1).map((time, i) => time - times[i]!);
    // Fan-out puts several invocations within the 2 s jitter; the rest are one period apart (± jitter).
    for (const gap of gaps) expect(gap < 2_000 || Math.abs(gap - periodMs) < 2_000).toBe(true);
    expect(trace.apps.filter((app) => app.kind === 'timer').length / trace.apps.length).toBeCloseTo(0.2, 1);
  });

  it('draws sizes and cold starts from bounded log-normal distributions', () => {
    const sizes = trace.apps.map((app) => app.sizeBytes / MIB).sort((a, b) => a - b);
    expect(sizes[0]!).toBeGreaterThanOrEqual(16);
    expect(sizes.at(-1)!).toBeLessThanOrEqual(2_048);
    const median = sizes[Math.floor(sizes.length / 2)]!;
    expect(median).toBeGreaterThan(140);
    expect(median).toBeLessThan(200);
    for (const app of trace.apps) expect(app.coldStartMs).toBeGreaterThan(0);
  });

  it('rejects a bad app count or duration', () => {
    expect(() => generateTrace({ apps: 0 })).toThrow(RangeError);
    expect(() => generateTrace({ durationMs: -1 })).toThrow(RangeError);
  });
});

describe('simulateKeepAlive', () => {
  const trace = generateTrace({ seed: 3, apps: 300, durationMs: 12 * HOUR });
  const active = invocationsPerApp(trace).filter((count) => count > 0).length;
  const footprint = trace.apps.reduce((sum, app) => sum + app.sizeBytes, 0);
  const run = (policy: KeepAlivePolicy, share: number) => simulateKeepAlive(trace, policy, footprint * share);

  it('counts exactly one cold start per app when everything fits and nothing expires', () => {
    const result = run(createLruPolicy(), 1);
    expect(result.coldStarts).toBe(active);
    expect(result.invocations).toBe(trace.times.length);
    expect(result.evictions).toBe(0);
  });

  it('accounts memory-time: a 10-minute TTL holds less than keep-everything, and never more than the budget', () => {
    const ttl = run(createTtlPolicy(), 1);
    const lru = run(createLruPolicy(), 1);
    expect(ttl.coldStarts).toBeGreaterThan(lru.coldStarts);
    expect(ttl.memoryGbSeconds).toBeLessThan(lru.memoryGbSeconds);
    expect(lru.meanResidentGb * 1e9).toBeLessThanOrEqual(footprint);
    expect(ttl.wastedGbSeconds).toBeLessThanOrEqual(ttl.memoryGbSeconds);
  });

  it('is deterministic', () => {
    expect(run(createDefaultPolicy(), 0.3)).toEqual(run(createDefaultPolicy(), 0.3));
  });

  it('the default policy beats the 10-minute TTL and LRU at a memory budget', () => {
    const ttl = run(createTtlPolicy(), 0.6);
    const lru = run(createLruPolicy(), 0.6);
    const smart = run(createDefaultPolicy(), 0.6);
    expect(smart.coldStarts).toBeLessThan(lru.coldStarts);
    expect(smart.coldStarts * 2).toBeLessThan(ttl.coldStarts);
    expect(smart.prewarms).toBeGreaterThan(0);
  });
});
