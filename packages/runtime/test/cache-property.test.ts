import { describe, expect, it } from 'vitest';
import {
  createDefaultPolicy,
  createGdsfPolicy,
  createHybridHistogramPolicy,
  createLruPolicy,
  createTtlPolicy,
  KeepAliveCache,
  type KeepAlivePolicy,
} from '../src/cache/index.js';
import { IndexedMinHeap } from '../src/cache/indexed-heap.js';
import { createRandom } from '../src/cache/trace.js';

const POLICIES: Array<[string, () => KeepAlivePolicy]> = [
  ['lru', () => createLruPolicy()],
  ['ttl', () => createTtlPolicy({ ttlMs: 5_000 })],
  ['gdsf', () => createGdsfPolicy()],
  ['gdsf-keep-frequency', () => createGdsfPolicy({ keepFrequency: true })],
  ['hybrid-histogram', () => createHybridHistogramPolicy({ minSamples: 2 })],
  ['default', () => createDefaultPolicy({ minSamples: 2 })],
  ['default-expiring', () => createDefaultPolicy({ minSamples: 2, expire: true, unpredictableKeepAliveMs: 20_000 })],
];

describe.each(POLICIES)('random operations on a cache with the %s policy', (_name, makePolicy) => {
  it.each([1, 2, 3])('keeps every invariant (seed %i)', (seed) => {
    const random = createRandom(seed);
    const budget = 2_000;
    let clock = 0;
    // The model: what must be resident, by the cache's own account of sets and evictions.
    const model = new Map<string, { value: number; size: number }>();
    let evictCalls = 0;
    const cache = new KeepAliveCache<number>({
      budgetBytes: budget,
      policy: makePolicy(),
      now: () => clock,
      onEvict: (id, value) => {
        const entry = model.get(id);
        expect(entry?.value).toBe(value); // the value handed back is the one stored
        model.delete(id);
        evictCalls++;
      },
    });
    let gets = 0;
    let version = 0;
    for (let step = 0; step < 4_000; step++) {
      clock += Math.floor(random() * 3_000);
      const id = `app-${Math.floor(random() ** 2 * 40)}`;
      const action = random();
      if (action < 0.55) {
        gets++;
        const value = cache.get(id);
        expect(value).toBe(model.get(id)?.value);
      } else if (action < 0.85) {
        const size = 1 + Math.floor(random() * (random() < 0.05 ? 2_500 : 600));
        version++;
        const previous = model.get(id);
        const cached = cache.set(id, version, { sizeBytes: size, coldStartMs: 1 + Math.floor(random() * 300) });
        expect(cached).toBe(size <= budget || false);
        if (previous !== undefined) expect(model.get(id)?.value).not.toBe(previous.value);
        if (cached) model.set(id, { value: version, size });
      } else if (action < 0.92) {
        const resident = model.has(id);
        expect(cache.delete(id)).toBe(resident);
        expect(model.has(id)).toBe(false);
      } else if (action < 0.97) {
        const before = new Set(model.keys());
        for (const swept of cache.sweep()) {
          expect(before.has(swept)).toBe(true);
          expect(model.has(swept)).toBe(false);
        }
      } else {
        for (const candidate of cache.prewarmCandidates()) {
          expect(cache.has(candidate)).toBe(false);
          version++;
          if (cache.set(candidate, version, { sizeBytes: 100, coldStartMs: 20 }, { prewarm: true })) {
            model.set(candidate, { value: version, size: 100 });
          }
        }
      }
      const used = [...model.values()].reduce((sum, entry) => sum + entry.size, 0);
      expect(cache.usedBytes).toBe(used);
      expect(cache.usedBytes).toBeLessThanOrEqual(budget);
      expect(cache.size).toBe(model.size);
      let allResident = true;
      for (const key of model.keys()) if (!cache.has(key)) allResident = false;
      expect(allResident).toBe(true);
      const next = cache.nextEventAt();
      if (next !== undefined) expect(Number.isFinite(next)).toBe(true);
    }
    const stats = cache.stats();
    expect(stats.hits + stats.misses).toBe(gets);
    expect(stats.usedBytes).toBe(cache.usedBytes);
    // Every removal went through onEvict exactly once: evictions, deletes and replacements.
    expect(evictCalls).toBeGreaterThanOrEqual(stats.evictions + stats.deletes);
    expect(stats.expirations).toBeLessThanOrEqual(stats.evictions);
  });
});

describe('IndexedMinHeap', () => {
  it('pops in key order, ties oldest first, under random sets and deletes', () => {
    const random = createRandom(11);
    const heap = new IndexedMinHeap();
    const reference = new Map<string, { key: number; tie: number }>();
    let tie = 0;
    for (let step = 0; step < 5_000; step++) {
      const id = `k${Math.floor(random() * 200)}`;
      if (random() < 0.7) {
        const key = Math.floor(random() * 50); // many equal keys exercise the tie-break
        heap.set(id, key);
        reference.set(id, { key, tie: tie++ });
      } else {
        expect(heap.delete(id)).toBe(reference.delete(id));
      }
      expect(heap.size).toBe(reference.size);
    }
    const expected = [...reference.entries()].sort((a, b) => a[1].key - b[1].key || a[1].tie - b[1].tie);
    const walked: string[] = [];
    heap.walk((id) => {
      walked.push(id);
      return walked.length < 25;
    });
    expect(walked).toEqual(expected.slice(0, 25).map(([id]) => id));
    for (const [id, { key }] of expected) {
      expect(heap.peekKey()).toBe(key);
      expect(heap.pop()).toBe(id);
    }
    expect(heap.pop()).toBeUndefined();
  });
});
