import { RecencyList } from './recency-list.js';
import { takeUntil } from './take-until.js';
import type { KeepAlivePolicy } from './types.js';

/**
 * Time-to-live keep-alive (the common FaaS default: 10 minutes): an app is dropped `ttlMs` after its last use;
 * when memory is short, the one closest to expiry (used longest ago) goes first. O(1) amortized per operation.
 *
 * @param options.ttlMs keep-alive after the last use, default 600,000 (10 minutes).
 * @throws {RangeError} when `ttlMs` is not a finite number >= 0.
 * @example
 * ```ts
 * const policy = createTtlPolicy({ ttlMs: 5 * 60_000 });
 * ```
 */
export function createTtlPolicy(options: { ttlMs?: number } = {}): KeepAlivePolicy {
  const ttlMs = options.ttlMs ?? 600_000;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new RangeError(`createTtlPolicy: ttlMs must be a finite number >= 0, got ${String(ttlMs)}`);
  }
  // With one TTL for all, use order is expiry order: the least recently used expires first.
  const lastUse = new RecencyList();
  const touch = (id: string, now: number) => lastUse.touch(id, now);
  return {
    name: ttlMs % 60_000 === 0 ? `ttl-${ttlMs / 60_000}m` : `ttl-${ttlMs}ms`,
    onHit(id, now) {
      if (lastUse.has(id)) touch(id, now);
    },
    onMiss(id, _info, now) {
      touch(id, now);
    },
    onEvict(id) {
      lastUse.delete(id);
    },
    selectVictims(needBytes, resident) {
      return takeUntil(lastUse.ids(), needBytes, resident);
    },
    expired(resident, now) {
      const ids: string[] = [];
      for (const [id, time] of lastUse.entries()) {
        if (time + ttlMs > now) break;
        if (resident.has(id)) ids.push(id);
      }
      return ids;
    },
    nextEventAt() {
      const oldest = lastUse.oldestTime();
      return oldest === undefined ? undefined : oldest + ttlMs;
    },
  };
}
