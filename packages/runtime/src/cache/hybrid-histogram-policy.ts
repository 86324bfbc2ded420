import { createAdaptivePolicy } from './adaptive-policy.js';
import type { HistogramWindowOptions } from './idle-histogram.js';
import type { KeepAlivePolicy } from './types.js';

/**
 * The hybrid histogram keep-alive of "Serverless in the Wild" (Shahrad et al., USENIX ATC'20): each app's idle-time
 * histogram (1-minute bins, 4 hours) gives a pre-warm window (5th percentile − 10%) and a keep-alive window (99th
 * percentile + 10%); an app with a clear pattern is unloaded after each use and pre-warmed before the next; mostly
 * long idle times use a time-series prediction; otherwise a fixed 4-hour keep-alive. The paper has no memory
 * budget: when memory is short, the least recently used app goes first.
 *
 * @example
 * ```ts
 * const cache = new KeepAliveCache<string>({ budgetBytes: 2 ** 30, policy: createHybridHistogramPolicy() });
 * ```
 */
export function createHybridHistogramPolicy(options: HistogramWindowOptions = {}): KeepAlivePolicy {
  return createAdaptivePolicy({
    ...options,
    name: 'hybrid-histogram',
    eviction: 'lru',
    expire: true,
    prewarm: true,
    unpredictableKeepAliveMs: 4 * 3_600_000,
  });
}
