import { IndexedMinHeap } from './indexed-heap.js';
import type { KeepAlivePolicy } from './types.js';

/** Options of {@link createGdsfPolicy}. */
export interface GdsfPolicyOptions {
  /**
   * Keep an app's frequency after it is evicted (default false: FaasCache resets it, as Greedy-Dual-Size-Frequency
   * does). True lets an app that is evicted and comes back keep its rank.
   */
  keepFrequency?: boolean;
}

/**
 * Greedy-Dual-Size-Frequency keep-alive (FaasCache, Fuerst & Sharma, ASPLOS'21): priority = clock + frequency ×
 * cold-start cost / size; when memory is short the lowest priority goes first and the clock rises to its priority,
 * which ages apps not used since. Never expires anything. O(log n) per operation (an indexed heap).
 *
 * @example
 * ```ts
 * const cache = new KeepAliveCache<string>({ budgetBytes: 2 ** 30, policy: createGdsfPolicy() });
 * ```
 */
export function createGdsfPolicy(options: GdsfPolicyOptions = {}): KeepAlivePolicy {
  const keepFrequency = options.keepFrequency ?? false;
  const heap = new IndexedMinHeap();
  const frequency = new Map<string, number>();
  const value = new Map<string, number>(); // cold-start ms per MB, resident apps only
  let clock = 0;
  let lastVictims = new Set<string>();
  const rank = (id: string) => {
    heap.set(id, clock + (frequency.get(id) ?? 1) * (value.get(id) ?? 0));
  };
  return {
    name: keepFrequency ? 'gdsf-keep-frequency' : 'gdsf',
    onHit(id) {
      if (!heap.has(id)) return;
      frequency.set(id, (frequency.get(id) ?? 0) + 1);
      rank(id);
    },
    onMiss(id, info) {
      frequency.set(id, (frequency.get(id) ?? 0) + 1);
      value.set(id, perMegabyte(info.coldStartMs, info.sizeBytes));
      rank(id);
    },
    onEvict(id) {
      const priority = heap.keyOf(id);
      // Only evictions for room move the clock; an explicit delete says nothing about the others' worth.
      if (priority !== undefined && lastVictims.has(id)) clock = Math.max(clock, priority);
      heap.delete(id);
      value.delete(id);
      if (!keepFrequency) frequency.delete(id);
    },
    selectVictims(needBytes, resident) {
      const victims: string[] = [];
      let freed = 0;
      heap.walk((id) => {
        if (freed >= needBytes) return false;
        const info = resident.get(id);
        if (info !== undefined) {
          victims.push(id);
          freed += info.sizeBytes;
        }
        return true;
      });
      lastVictims = new Set(victims);
      return victims;
    },
    expired() {
      return [];
    },
  };
}

/** Cold-start cost per resident megabyte: the worth of keeping one byte warm, up to a constant. */
export function perMegabyte(coldStartMs: number, sizeBytes: number): number {
  return coldStartMs / Math.max(sizeBytes / 1_048_576, 1e-6);
}
