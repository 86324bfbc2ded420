import { describe, expect, it } from 'vitest';
import { histogramWindows, IdleHistogram } from '../src/cache/idle-histogram.js';
import {
  type CacheEntryInfo,
  createDefaultPolicy,
  createGdsfPolicy,
  createHybridHistogramPolicy,
  createLruPolicy,
  createTtlPolicy,
  KeepAliveCache,
  type KeepAlivePolicy,
} from '../src/cache/index.js';

const MINUTE = 60_000;
const info = (sizeBytes: number, coldStartMs = 50): CacheEntryInfo => ({ sizeBytes, coldStartMs });

/** A cache on a virtual clock that records every onEvict call. */
function virtualCache(policy: KeepAlivePolicy, budgetBytes: number) {
  const clock = { now: 0 };
  const evicted: Array<[string, string]> = [];
  const cache = new KeepAliveCache<string>({
    budgetBytes,
    policy,
    now: () => clock.now,
    onEvict: (id, value) => evicted.push([id, value]),
  });
  return { cache, clock, evicted };
}

const ALL_POLICIES: Array<[string, () => KeepAlivePolicy]> = [
  ['lru', () => createLruPolicy()],
  ['ttl', () => createTtlPolicy()],
  ['gdsf', () => createGdsfPolicy()],
  ['hybrid-histogram', () => createHybridHistogramPolicy()],
  ['default', () => createDefaultPolicy()],
  ['default-expiring', () => createDefaultPolicy({ expire: true })],
];

// The shared conformance suite: every policy, through the cache, keeps these promises.
describe.each(ALL_POLICIES)('KeepAliveCache with the %s policy', (_name, makePolicy) => {
  it('returns what was set and counts hits and misses', () => {
    const { cache } = virtualCache(makePolicy(), 1_000);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.set('a', 'A', info(100))).toBe(true);
    expect(cache.get('a')).toBe('A');
    expect(cache.get('a')).toBe('A');
    expect(cache.has('a')).toBe(true);
    expect(cache.size).toBe(1);
    expect(cache.usedBytes).toBe(100);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 1, evictions: 0, usedBytes: 100 });
  });

  it('never exceeds the budget and evicts to make room', () => {
    const { cache, clock, evicted } = virtualCache(makePolicy(), 1_000);
    for (let i = 0; i < 25; i++) {
      clock.now += 1_000;
      expect(cache.set(`app-${i}`, `v${i}`, info(100 + (i % 4) * 50))).toBe(true);
      expect(cache.usedBytes).toBeLessThanOrEqual(1_000);
    }
    expect(evicted.length).toBeGreaterThan(0);
    expect(cache.stats().evictions).toBe(evicted.length);
    expect(cache.size + evicted.length).toBe(25);
  });

  it('does not cache an entry bigger than the whole budget and keeps the others', () => {
    const { cache, evicted } = virtualCache(makePolicy(), 1_000);
    cache.set('small', 's', info(400));
    expect(cache.set('huge', 'h', info(1_001))).toBe(false);
    expect(cache.has('huge')).toBe(false);
    expect(cache.get('small')).toBe('s');
    expect(evicted).toEqual([]);
    expect(cache.stats().rejected).toBe(1);
  });

  it('caches an entry exactly the size of the budget', () => {
    const { cache } = virtualCache(makePolicy(), 1_000);
    cache.set('a', 'A', info(300));
    expect(cache.set('whole', 'W', info(1_000))).toBe(true);
    expect(cache.has('a')).toBe(false);
    expect(cache.usedBytes).toBe(1_000);
  });

  it('delete removes the entry, calls onEvict with its value and is not an eviction', () => {
    const { cache, evicted } = virtualCache(makePolicy(), 1_000);
    cache.set('a', 'A', info(100));
    expect(cache.delete('a')).toBe(true);
    expect(cache.delete('a')).toBe(false);
    expect(evicted).toEqual([['a', 'A']]);
    expect(cache.usedBytes).toBe(0);
    expect(cache.stats()).toMatchObject({ deletes: 1, evictions: 0 });
  });

  it('set on a resident id replaces the value and hands the old one to onEvict', () => {
    const { cache, evicted } = virtualCache(makePolicy(), 1_000);
    cache.set('a', 'old', info(100));
    cache.set('a', 'new', info(300));
    expect(cache.get('a')).toBe('new');
    expect(cache.usedBytes).toBe(300);
    expect(evicted).toEqual([['a', 'old']]);
  });

  it('rejects bad arguments before changing anything', () => {
    const { cache } = virtualCache(makePolicy(), 1_000);
    expect(() => cache.set('a', 'A', info(-1))).toThrow(RangeError);
    expect(() => cache.set('a', 'A', { sizeBytes: 10, coldStartMs: Number.NaN })).toThrow(RangeError);
    expect(() => cache.set('a', 'A', null as unknown as CacheEntryInfo)).toThrow(TypeError);
    expect(() => cache.set(1 as unknown as string, 'A', info(1))).toThrow(TypeError);
    expect(cache.size).toBe(0);
    expect(cache.stats().misses).toBe(0);
  });
});

describe('KeepAliveCache options', () => {
  it('rejects a bad budget, policy, onEvict or clock', () => {
    expect(() => new KeepAliveCache({ budgetBytes: -1 })).toThrow(RangeError);
    expect(() => new KeepAliveCache({ budgetBytes: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => new KeepAliveCache({ budgetBytes: 1, policy: {} as KeepAlivePolicy })).toThrow(TypeError);
    expect(() => new KeepAliveCache({ budgetBytes: 1, onEvict: 3 as unknown as () => void })).toThrow(TypeError);
    expect(() => new KeepAliveCache({ budgetBytes: 1, now: 'x' as unknown as () => number })).toThrow(TypeError);
  });

  it('uses the default policy when none is given', () => {
    expect(new KeepAliveCache({ budgetBytes: 1 }).policy.name).toBe('default');
  });

  it('keeps the residents when a policy frees too little', () => {
    const stingy: KeepAlivePolicy = {
      ...createLruPolicy(),
      name: 'stingy',
      selectVictims: () => [],
    };
    const { cache, evicted } = virtualCache(stingy, 100);
    cache.set('a', 'A', info(80));
    expect(cache.set('b', 'B', info(50))).toBe(false);
    expect(cache.has('a')).toBe(true);
    expect(evicted).toEqual([]);
  });

  it('ignores victims a policy names that are not resident', () => {
    const confused: KeepAlivePolicy = { ...createLruPolicy(), name: 'confused', selectVictims: () => ['ghost', 'a'] };
    const { cache, evicted } = virtualCache(confused, 100);
    cache.set('a', 'A', info(80));
    expect(cache.set('b', 'B', info(50))).toBe(true);
    expect(evicted).toEqual([['a', 'A']]);
  });
});

describe('LRU policy', () => {
  it('evicts the least recently used first', () => {
    const { cache, clock, evicted } = virtualCache(createLruPolicy(), 300);
    for (const id of ['a', 'b', 'c']) {
      clock.now++;
      cache.set(id, id, info(100));
    }
    clock.now++;
    cache.get('a');
    cache.set('d', 'd', info(100));
    expect(evicted.map(([id]) => id)).toEqual(['b']);
    cache.set('e', 'e', info(200));
    expect(evicted.map(([id]) => id)).toEqual(['b', 'c', 'a']);
  });

  it('never expires anything', () => {
    const { cache, clock } = virtualCache(createLruPolicy(), 300);
    cache.set('a', 'a', info(100));
    clock.now += 365 * 24 * 60 * MINUTE;
    expect(cache.sweep()).toEqual([]);
    expect(cache.nextEventAt()).toBeUndefined();
  });
});

describe('TTL policy', () => {
  it('expires an app 10 minutes after its last use, on the injected clock', () => {
    const { cache, clock, evicted } = virtualCache(createTtlPolicy(), 1_000);
    cache.set('a', 'A', info(100));
    clock.now = 5 * MINUTE;
    cache.set('b', 'B', info(100));
    clock.now = 8 * MINUTE;
    cache.get('a'); // a now lives until 18 min
    expect(cache.nextEventAt()).toBe(15 * MINUTE);
    clock.now = 15 * MINUTE - 1;
    expect(cache.sweep()).toEqual([]);
    clock.now = 15 * MINUTE;
    expect(cache.sweep()).toEqual(['b']);
    expect(cache.nextEventAt()).toBe(18 * MINUTE);
    clock.now = 18 * MINUTE;
    expect(cache.sweep()).toEqual(['a']);
    expect(evicted.map(([id]) => id)).toEqual(['b', 'a']);
    expect(cache.stats()).toMatchObject({ expirations: 2, evictions: 2, usedBytes: 0 });
  });

  it('takes a custom TTL and names itself after it', () => {
    expect(createTtlPolicy({ ttlMs: 5 * MINUTE }).name).toBe('ttl-5m');
    expect(createTtlPolicy().name).toBe('ttl-10m');
    expect(() => createTtlPolicy({ ttlMs: -1 })).toThrow(RangeError);
  });

  it('drops the app closest to expiry when memory is short', () => {
    const { cache, clock, evicted } = virtualCache(createTtlPolicy(), 200);
    cache.set('a', 'A', info(100));
    clock.now = MINUTE;
    cache.set('b', 'B', info(100));
    clock.now = 2 * MINUTE;
    cache.set('c', 'C', info(100));
    expect(evicted.map(([id]) => id)).toEqual(['a']);
  });
});

describe('GDSF policy', () => {
  it('evicts the lowest frequency × cold-start cost / size first', () => {
    const { cache, evicted } = virtualCache(createGdsfPolicy(), 300);
    cache.set('cheap', 'x', info(100, 10)); // 10 ms per 100 B
    cache.set('costly', 'y', info(100, 500));
    cache.set('big', 'z', info(100, 100));
    cache.set('new', 'n', info(100, 50));
    expect(evicted.map(([id]) => id)).toEqual(['cheap']);
  });

  it('counts frequency: a popular cheap app outlives a costlier one used once', () => {
    const { cache, evicted } = virtualCache(createGdsfPolicy(), 200);
    cache.set('popular', 'p', info(100, 100));
    for (let i = 0; i < 5; i++) cache.get('popular'); // 6 × 100
    cache.set('once', 'o', info(100, 300)); // 1 × 300
    cache.set('next', 'n', info(100, 50));
    expect(evicted.map(([id]) => id)).toEqual(['once']);
  });

  it('ages apps: the clock lets a new app overtake one that was popular long ago', () => {
    const { cache } = virtualCache(createGdsfPolicy(), 200);
    cache.set('old', 'o', info(100, 100));
    cache.get('old'); // priority 2 × cost
    for (let i = 0; i < 4; i++) cache.set(`churn-${i}`, 'c', info(100, 150)); // each eviction raises the clock
    expect(cache.has('old')).toBe(false);
  });
});

describe('hybrid histogram policy', () => {
  it('learns a timer: unloads after each run and pre-warms before the next', () => {
    const { cache, clock } = virtualCache(createHybridHistogramPolicy(), 10_000);
    const period = 30 * MINUTE;
    let cold = 0;
    for (let run = 0; run < 12; run++) {
      const at = run * period;
      // Replay what a runtime does: apply expiries and pre-warms due before the invocation.
      for (let next = cache.nextEventAt(); next !== undefined && next <= at; next = cache.nextEventAt()) {
        clock.now = next;
        cache.sweep();
        for (const id of cache.prewarmCandidates()) cache.set(id, 'warm', info(1_000), { prewarm: true });
      }
      clock.now = at;
      if (cache.get('timer') === undefined) {
        cold++;
        cache.set('timer', 'cold', info(1_000));
      }
    }
    // Cold until the histogram has 5 idle times, warm from then on.
    expect(cold).toBeLessThanOrEqual(6);
    expect(cache.stats().prewarms).toBeGreaterThanOrEqual(6);
    // Between runs the timer is not resident: the memory went back.
    clock.now = 11 * period + MINUTE;
    cache.sweep();
    expect(cache.has('timer')).toBe(false);
  });

  it('keeps an app without a pattern for the histogram range (4 hours)', () => {
    const { cache, clock } = virtualCache(createHybridHistogramPolicy(), 10_000);
    cache.set('a', 'A', info(100));
    clock.now = 4 * 60 * MINUTE - 1;
    expect(cache.sweep()).toEqual([]);
    clock.now = 4 * 60 * MINUTE;
    expect(cache.sweep()).toEqual(['a']);
  });
});

describe('default policy', () => {
  it('never expires an app while memory is free', () => {
    const { cache, clock } = virtualCache(createDefaultPolicy(), 10_000);
    cache.set('a', 'A', info(100));
    clock.now = 48 * 60 * MINUTE;
    expect(cache.sweep()).toEqual([]);
    expect(cache.get('a')).toBe('A');
  });

  it('gives up a timer between its runs first, and pre-warms it before the next run', () => {
    const run = (policy: KeepAlivePolicy) => {
      const { cache, clock, evicted } = virtualCache(policy, 2_000);
      const period = 30 * MINUTE;
      for (let run = 0; run < 8; run++) {
        clock.now = run * period;
        if (cache.get('timer') === undefined) cache.set('timer', 't', info(1_000, 1_000));
      }
      // By GDSF alone the timer (8 uses × 1 s) outranks an app used once (2 s); but it is not due for 27 minutes.
      clock.now += MINUTE;
      cache.set('busy', 'b', info(1_000, 2_000));
      clock.now += MINUTE;
      cache.set('other', 'o', info(1_000, 2_000));
      return { cache, clock, evicted: evicted.map(([id]) => id), period };
    };
    expect(run(createGdsfPolicy()).evicted).toEqual(['busy']);
    const { cache, clock, evicted, period } = run(createDefaultPolicy());
    expect(evicted).toEqual(['timer']);
    const wake = cache.nextEventAt()!;
    expect(wake).toBeGreaterThan(7 * period);
    expect(wake).toBeLessThan(8 * period);
    clock.now = wake;
    expect(cache.prewarmCandidates()).toEqual(['timer']);
  });

  it('with expire: true, unloads an app without a pattern after 4 hours', () => {
    const { cache, clock } = virtualCache(createDefaultPolicy({ expire: true }), 10_000);
    expect(cache.policy.name).toBe('default-expiring');
    cache.set('a', 'A', info(100));
    clock.now = 4 * 60 * MINUTE;
    expect(cache.sweep()).toEqual(['a']);
  });

  it('rejects a negative keep-alive', () => {
    expect(() => createDefaultPolicy({ unpredictableKeepAliveMs: -1 })).toThrow(RangeError);
  });
});

describe('idle-time histogram windows (Shahrad et al.)', () => {
  it('gives pre-warm = 5th percentile − 10% and keep-alive to the 99th percentile + 10% for a clear pattern', () => {
    const histogram = new IdleHistogram();
    for (let i = 0; i < 100; i++) histogram.add(30 * MINUTE + (i % 3) * MINUTE); // bins 30, 31, 32
    const windows = histogramWindows(histogram);
    expect(windows.predictable).toBe(true);
    expect(windows.prewarmMs).toBe(30 * MINUTE * 0.9);
    expect(windows.prewarmMs + windows.keepAliveMs).toBeCloseTo(33 * MINUTE * 1.1, 6);
  });

  it('falls back to a 4-hour keep-alive without pre-warm when idle times are spread out or few', () => {
    const spread = new IdleHistogram();
    for (let bin = 0; bin < 240; bin++) spread.add(bin * MINUTE + 1);
    expect(histogramWindows(spread)).toEqual({ prewarmMs: 0, keepAliveMs: 4 * 60 * MINUTE, predictable: false });
    const few = new IdleHistogram();
    few.add(MINUTE);
    expect(histogramWindows(few).predictable).toBe(false);
  });

  it('predicts mostly out-of-range idle times from their recent mean, with 15% margins', () => {
    const histogram = new IdleHistogram();
    for (let i = 0; i < 6; i++) histogram.add(6 * 60 * MINUTE);
    const windows = histogramWindows(histogram);
    expect(windows.predictable).toBe(true);
    expect(windows.prewarmMs).toBeCloseTo(0.85 * 6 * 60 * MINUTE, 3);
    expect(windows.keepAliveMs).toBeCloseTo(0.3 * 6 * 60 * MINUTE, 3);
  });
});
