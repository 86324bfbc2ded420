import { RecencyList } from './recency-list.js';
import { takeUntil } from './take-until.js';
import type { KeepAlivePolicy } from './types.js';

/**
 * Least recently used: when memory is short, drops the apps used longest ago; never expires anything.
 * O(1) per operation (a linked list in use order).
 *
 * @example
 * ```ts
 * const cache = new KeepAliveCache<string>({ budgetBytes: 2 ** 30, policy: createLruPolicy() });
 * ```
 */
export function createLruPolicy(): KeepAlivePolicy {
  const order = new RecencyList();
  return {
    name: 'lru',
    onHit(id, now) {
      if (order.has(id)) order.touch(id, now);
    },
    onMiss(id, _info, now) {
      order.touch(id, now);
    },
    onEvict(id) {
      order.delete(id);
    },
    selectVictims(needBytes, resident) {
      return takeUntil(order.ids(), needBytes, resident);
    },
    expired() {
      return [];
    },
  };
}
