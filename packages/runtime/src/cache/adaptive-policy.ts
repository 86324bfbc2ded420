import { perMegabyte } from './gdsf-policy.js';
import { type HistogramWindowOptions, histogramWindows, IdleHistogram } from './idle-histogram.js';
import { IndexedMinHeap } from './indexed-heap.js';
import { RecencyList } from './recency-list.js';
import type { KeepAlivePolicy } from './types.js';

/** Options shared by the histogram-driven policies. */
export interface AdaptivePolicyOptions extends HistogramWindowOptions {
  /** Report name. */
  name: string;
  /**
   * What goes first when memory is short: `lru` = least recently used (the paper's policy has no budget; this
   * extends it the way a fixed keep-alive extends), `gdsf` = lowest Greedy-Dual-Size-Frequency priority, with apps
   * idle until a known pre-warm time first, then apps idle past their keep-alive window.
   */
  eviction: 'lru' | 'gdsf';
  /**
   * true: the keep-alive windows unload apps (the paper's policy: memory is freed as soon as an app is not expected).
   * false: nothing expires; the windows only rank apps for eviction, so free memory keeps apps warm.
   */
  expire: boolean;
  /** Load apps with a clear pattern again just before their predicted next invocation. */
  prewarm: boolean;
  /** Keep-alive window of apps without a representative pattern (ms). */
  unpredictableKeepAliveMs: number;
  /** Shortest pre-warm window worth acting on (ms, default 1 minute); shorter ones just keep the app loaded. */
  minPrewarmMs?: number;
  /** How many apps' histograms to remember (default 100,000; the least recently invoked non-resident go first). */
  maxTrackedApps?: number;
}

interface AppState {
  histogram: IdleHistogram;
  last: number | undefined;
  frequency: number;
  /** Cold-start ms per resident MB. */
  worth: number;
  /** Keep-alive window applied after a pre-warm. */
  keepAliveMs: number;
}

// Eviction tiers of the gdsf ranking (live GDSF keys are >= 0): apps idle until a known pre-warm time go first,
// latest wake-up first (Belady: furthest next use); then apps idle past their keep-alive window, lowest GDSF first.
const DEAD_TIER = -1e15;
const STALE_TIER = -1e12;

/**
 * The engine behind {@link createHybridHistogramPolicy} and {@link createDefaultPolicy}: per-app idle-time
 * histograms give keep-alive and pre-warm windows; heaps keyed by time make every operation O(log n) (window
 * queries scan only an app's occupied histogram bins).
 *
 * @example
 * ```ts
 * const policy = createAdaptivePolicy({
 *   name: 'gdsf-prewarm', eviction: 'gdsf', expire: false, prewarm: true, unpredictableKeepAliveMs: 4 * 3_600_000,
 * });
 * ```
 */
export function createAdaptivePolicy(options: AdaptivePolicyOptions): KeepAlivePolicy {
  const { name, eviction, expire, prewarm } = options;
  const unpredictableKeepAliveMs = options.unpredictableKeepAliveMs;
  const minPrewarmMs = options.minPrewarmMs ?? 60_000;
  const maxTrackedApps = options.maxTrackedApps ?? 100_000;
  if (!(unpredictableKeepAliveMs >= 0)) {
    throw new RangeError(`${name}: unpredictableKeepAliveMs must be >= 0, got ${unpredictableKeepAliveMs}`);
  }
  if (!(minPrewarmMs >= 0)) throw new RangeError(`${name}: minPrewarmMs must be >= 0, got ${minPrewarmMs}`);
  const apps = new Map<string, AppState>();
  const invokedOrder = new RecencyList(); // least recently invoked first, for forgetting
  const rank = new IndexedMinHeap(); // resident ids: eviction order
  const expiry = new IndexedMinHeap(); // resident ids by end of keep-alive (expire mode)
  const staleAt = new IndexedMinHeap(); // resident ids by end of keep-alive (ranking mode)
  const wakeAt = new IndexedMinHeap(); // resident ids idle until a predicted invocation (ranking mode)
  const prewarmAt = new IndexedMinHeap(); // non-resident ids to load at a predicted invocation
  const resident = new Set<string>();
  let clock = 0;
  let lastVictims = new Set<string>();

  const stateOf = (id: string): AppState => {
    let app = apps.get(id);
    if (app === undefined) {
      app = {
        histogram: new IdleHistogram(),
        last: undefined,
        frequency: 0,
        worth: 0,
        keepAliveMs: 0,
      };
      apps.set(id, app);
      invokedOrder.touch(id, 0);
      if (apps.size > maxTrackedApps) {
        // One look per insertion keeps this O(1); a busy oldest entry goes to the back, so the next look differs.
        const oldest = invokedOrder.oldest()!;
        if (!resident.has(oldest) && !prewarmAt.has(oldest)) {
          apps.delete(oldest);
          invokedOrder.delete(oldest);
        } else {
          invokedOrder.touch(oldest, invokedOrder.oldestTime()!);
        }
      }
    }
    return app;
  };
  const liveKey = (app: AppState, now: number) => (eviction === 'gdsf' ? clock + app.frequency * app.worth : now);
  // Ranking mode: apply the wake-ups and demotions that fell due (lazy, so a runtime need not call us on time).
  const catchUp = (now: number) => {
    for (let due = wakeAt.peekKey(); due !== undefined && due <= now; due = wakeAt.peekKey()) {
      const id = wakeAt.pop()!;
      const app = apps.get(id);
      if (app === undefined) continue;
      rank.set(id, liveKey(app, due));
      staleAt.set(id, due + app.keepAliveMs);
    }
    for (let due = staleAt.peekKey(); due !== undefined && due <= now; due = staleAt.peekKey()) {
      const id = staleAt.pop()!;
      const key = rank.keyOf(id);
      if (key !== undefined && key >= 0) rank.set(id, STALE_TIER + key);
    }
  };
  const invoked = (id: string, app: AppState, now: number) => {
    if (app.last !== undefined) app.histogram.add(Math.max(0, now - app.last));
    app.last = now;
    app.frequency++;
    invokedOrder.touch(id, now);
    const windows = histogramWindows(app.histogram, options);
    const keepAliveMs = windows.predictable ? windows.keepAliveMs : unpredictableKeepAliveMs;
    prewarmAt.delete(id);
    if (prewarm && windows.predictable && windows.prewarmMs >= minPrewarmMs) {
      // Nothing is expected before the pre-warm time: the memory is worth more to others until then.
      app.keepAliveMs = keepAliveMs;
      if (expire) {
        expiry.set(id, now);
        prewarmAt.set(id, now + windows.prewarmMs);
        rank.set(id, liveKey(app, now));
      } else {
        staleAt.delete(id);
        wakeAt.set(id, now + windows.prewarmMs);
        rank.set(id, eviction === 'gdsf' ? DEAD_TIER - (now + windows.prewarmMs) : now);
      }
      return;
    }
    app.keepAliveMs = 0;
    const end = now + (windows.predictable ? windows.prewarmMs : 0) + keepAliveMs;
    if (expire) expiry.set(id, end);
    else {
      wakeAt.delete(id);
      staleAt.set(id, end);
    }
    rank.set(id, liveKey(app, now));
  };
  const loaded = (id: string, coldStartMs: number, sizeBytes: number) => {
    resident.add(id);
    const app = stateOf(id);
    app.worth = perMegabyte(coldStartMs, sizeBytes);
    return app;
  };

  return {
    name,
    onHit(id, now) {
      if (!resident.has(id)) return;
      catchUp(now);
      invoked(id, stateOf(id), now);
    },
    onMiss(id, info, now) {
      catchUp(now);
      invoked(id, loaded(id, info.coldStartMs, info.sizeBytes), now);
    },
    onPrewarm(id, info, now) {
      catchUp(now);
      const app = loaded(id, info.coldStartMs, info.sizeBytes);
      prewarmAt.delete(id);
      const end = now + Math.max(app.keepAliveMs, 1);
      if (expire) expiry.set(id, end);
      else staleAt.set(id, end);
      rank.set(id, liveKey(app, now));
    },
    onEvict(id, now) {
      const key = rank.keyOf(id);
      // Only evictions for room move the GDSF clock; expiry and delete say nothing about the others' worth.
      if (eviction === 'gdsf' && key !== undefined && key >= 0 && lastVictims.has(id)) clock = Math.max(clock, key);
      resident.delete(id);
      rank.delete(id);
      expiry.delete(id);
      staleAt.delete(id);
      const wake = wakeAt.keyOf(id);
      if (wake !== undefined) {
        wakeAt.delete(id);
        // Evicted while idle until a predicted invocation: bring it back in time for it.
        if (prewarm) prewarmAt.set(id, Math.max(wake, now));
      }
    },
    selectVictims(needBytes, residentInfos, now) {
      catchUp(now);
      const victims: string[] = [];
      let freed = 0;
      rank.walk((id) => {
        if (freed >= needBytes) return false;
        const info = residentInfos.get(id);
        if (info !== undefined) {
          victims.push(id);
          freed += info.sizeBytes;
        }
        return true;
      });
      lastVictims = new Set(victims);
      return victims;
    },
    expired(residentInfos, now) {
      const ids: string[] = [];
      expiry.walk((id, end) => {
        if (end > now) return false;
        if (residentInfos.has(id)) ids.push(id);
        return true;
      });
      return ids;
    },
    prewarm(now) {
      catchUp(now);
      // Each due id is handed out once; a runtime that ignores it simply gets a cold start later.
      const ids: string[] = [];
      for (let due = prewarmAt.peekKey(); due !== undefined && due <= now; due = prewarmAt.peekKey()) {
        const id = prewarmAt.pop()!;
        if (!resident.has(id)) ids.push(id);
      }
      return ids;
    },
    nextEventAt() {
      const next = Math.min(expiry.peekKey() ?? Infinity, prewarmAt.peekKey() ?? Infinity);
      return next === Infinity ? undefined : next;
    },
  };
}
