import { createAdaptivePolicy } from './adaptive-policy.js';
import type { HistogramWindowOptions } from './idle-histogram.js';
import type { KeepAlivePolicy } from './types.js';

/** Options of {@link createDefaultPolicy}. */
export interface DefaultPolicyOptions extends HistogramWindowOptions {
  /**
   * Keep-alive window of apps whose idle times show no pattern (ms, default 4 hours, the histogram's range). Past
   * it an app is among the first evicted (or unloaded, with `expire`).
   */
  unpredictableKeepAliveMs?: number;
  /**
   * Unload apps when their keep-alive window ends even if memory is not short (default false: they stay warm
   * until the memory is needed). True spends less memory-time for a few more cold starts.
   */
  expire?: boolean;
  /** Pre-warm apps with a clear pattern (default true). */
  prewarm?: boolean;
  /** Shortest pre-warm window worth acting on (ms, default 1 minute). */
  minPrewarmMs?: number;
  /** How many apps' histograms to remember (default 100,000; ~1 KB each). */
  maxTrackedApps?: number;
}

/**
 * The default keep-alive policy: Greedy-Dual-Size-Frequency (FaasCache) ranks apps for eviction when memory is
 * short; the idle-time histograms of the hybrid histogram policy (Shahrad et al.) tell which apps are not
 * expected for a while: an app with a clear pattern (a timer) is the first to go when memory is needed between
 * two of its invocations and is pre-warmed before the next; an app idle past its keep-alive window (99.9th
 * percentile of its idle times, or 4 hours without a pattern) goes next. Free memory is never left unused: nothing
 * expires unless `expire: true`. See docs/cache.md for the measurements that chose it.
 *
 * @throws {RangeError} when `unpredictableKeepAliveMs` is negative or NaN.
 * @example
 * ```ts
 * const cache = new KeepAliveCache<string>({ budgetBytes: 2 ** 30, policy: createDefaultPolicy() });
 * ```
 */
export function createDefaultPolicy(options: DefaultPolicyOptions = {}): KeepAlivePolicy {
  return createAdaptivePolicy({
    // A wider tail than the paper's 99th percentile: with GDSF behind it, an app past its window is demoted,
    // not dropped, and 99.9% measured fewer cold starts (docs/cache.md).
    tailPercentile: 0.999,
    ...options,
    name: options.expire === true ? 'default-expiring' : 'default',
    eviction: 'gdsf',
    expire: options.expire ?? false,
    prewarm: options.prewarm ?? true,
    unpredictableKeepAliveMs: options.unpredictableKeepAliveMs ?? 4 * 3_600_000,
  });
}
