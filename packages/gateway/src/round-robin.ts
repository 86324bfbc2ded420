import type { BalancingStrategy } from './strategy.js';

/**
 * Round-robin (a baseline): each request goes to the next available node, whatever the job.
 *
 * @example
 * ```ts
 * const strategy = createRoundRobinStrategy();
 * const nodes = [{ id: 'a', inFlight: 0, available: true }, { id: 'b', inFlight: 0, available: true }];
 * [strategy.choose('1', nodes)?.id, strategy.choose('1', nodes)?.id]; // ['a', 'b']
 * ```
 */
export function createRoundRobinStrategy(): BalancingStrategy {
  let next = 0;
  return {
    name: 'round-robin',
    supports: { affinity: false, boundedLoad: false },
    choose(_jobId, nodes, avoid) {
      const count = nodes.length;
      for (let step = 0; step < count; step++) {
        const node = nodes[(next + step) % count]!;
        if (node.available && node.id !== avoid) {
          next = (next + step + 1) % count;
          return node;
        }
      }
      return undefined;
    },
  };
}
