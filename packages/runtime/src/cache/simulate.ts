import { KeepAliveCache } from './keep-alive-cache.js';
import type { Trace } from './trace.js';
import type { KeepAlivePolicy } from './types.js';

/** What one policy did on one trace at one budget. */
export interface SimulationResult {
  policy: string;
  budgetBytes: number;
  invocations: number;
  /** Invocations that found their app cold (includes each app's first invocation). */
  coldStarts: number;
  coldStartPercent: number;
  /** Sum of the cold starts' costs, in seconds. */
  coldStartSeconds: number;
  /** Resident memory integrated over time, GB·s (GB = 10^9 bytes). */
  memoryGbSeconds: number;
  /** Memory-time that bought nothing: from an entry's last use (or pre-warm) to its eviction or the trace's end. */
  wastedGbSeconds: number;
  /** Mean resident memory, GB. */
  meanResidentGb: number;
  evictions: number;
  expirations: number;
  prewarms: number;
  /** Pre-warmed entries that served at least one invocation before leaving. */
  usefulPrewarms: number;
  rejected: number;
}

/**
 * Replays `trace` through a {@link KeepAliveCache} with `policy` on virtual time: each invocation is a `get`, and a
 * miss is a cold start followed by a `set`; expiries and pre-warms happen exactly when the policy schedules them
 * (`nextEventAt`). Invocations take no time and an app needs one entry (no concurrency).
 *
 * @example
 * ```ts
 * const trace = generateTrace({ seed: 1, apps: 200, durationMs: 3_600_000 });
 * const result = simulateKeepAlive(trace, createLruPolicy(), 2 * 2 ** 30);
 * result.coldStarts;
 * ```
 */
export function simulateKeepAlive(trace: Trace, policy: KeepAlivePolicy, budgetBytes: number): SimulationResult {
  const appCount = trace.apps.length;
  const ids = trace.apps.map((app) => app.id);
  const indexOf = new Map(ids.map((id, index) => [id, index]));
  const infos = trace.apps.map((app) => ({ sizeBytes: app.sizeBytes, coldStartMs: app.coldStartMs }));
  const loadedAt = new Float64Array(appCount);
  const lastUse = new Float64Array(appCount);
  const prewarmed = new Uint8Array(appCount); // 1 = loaded by a pre-warm, 2 = and then used
  let clock = 0;
  let memoryByteMs = 0;
  let wastedByteMs = 0;
  let usefulPrewarms = 0;
  const account = (index: number) => {
    const size = infos[index]!.sizeBytes;
    memoryByteMs += (clock - loadedAt[index]!) * size;
    wastedByteMs += (clock - lastUse[index]!) * size;
    if (prewarmed[index] === 2) usefulPrewarms++;
    prewarmed[index] = 0;
  };
  const cache = new KeepAliveCache<number>({
    budgetBytes,
    policy,
    now: () => clock,
    onEvict: (_id, index) => account(index),
  });

  const advanceTo = (time: number) => {
    // Bounded so that a policy that keeps scheduling events in the past cannot hang the simulation.
    for (let guard = 0; guard < 1_000_000; guard++) {
      const next = cache.nextEventAt();
      if (next === undefined || next > time) return;
      clock = Math.max(clock, next);
      cache.sweep();
      for (const id of cache.prewarmCandidates()) {
        const index = indexOf.get(id);
        if (index === undefined) continue;
        if (cache.set(id, index, infos[index]!, { prewarm: true })) {
          loadedAt[index] = clock;
          lastUse[index] = clock;
          prewarmed[index] = 1;
        }
      }
      if (cache.nextEventAt() === next) return; // nothing moved: wait for the next invocation
    }
  };

  let coldStarts = 0;
  let coldStartMs = 0;
  const { times, appIndexes } = trace;
  for (let i = 0; i < times.length; i++) {
    const time = times[i]!;
    const index = appIndexes[i]!;
    advanceTo(time);
    clock = Math.max(clock, time);
    const id = ids[index]!;
    if (cache.get(id) === undefined) {
      coldStarts++;
      coldStartMs += infos[index]!.coldStartMs;
      if (cache.set(id, index, infos[index]!)) {
        loadedAt[index] = clock;
        lastUse[index] = clock;
      }
    } else {
      lastUse[index] = clock;
      if (prewarmed[index] === 1) prewarmed[index] = 2;
    }
  }
  advanceTo(trace.durationMs);
  clock = Math.max(clock, trace.durationMs);
  for (const id of ids) cache.delete(id); // accounts what is still resident at the end

  const stats = cache.stats();
  const invocations = times.length;
  return {
    policy: policy.name,
    budgetBytes,
    invocations,
    coldStarts,
    coldStartPercent: invocations === 0 ? 0 : (100 * coldStarts) / invocations,
    coldStartSeconds: coldStartMs / 1000,
    memoryGbSeconds: memoryByteMs / 1e12,
    wastedGbSeconds: wastedByteMs / 1e12,
    meanResidentGb: memoryByteMs / 1e9 / trace.durationMs,
    evictions: stats.evictions,
    expirations: stats.expirations,
    prewarms: stats.prewarms,
    usefulPrewarms,
    rejected: stats.rejected,
  };
}
