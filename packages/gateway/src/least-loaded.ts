import { createRandom } from './random.js';
import type { BalancingStrategy, NodeLoad } from './strategy.js';

/** Options of {@link createLeastLoadedStrategy}. */
export interface LeastLoadedOptions {
  /** Seed of the random choices, for reproducible runs. Default: random. */
  seed?: number;
}

/**
 * Least-loaded by the power of two choices (a baseline): sample two available nodes at random and take the
 * one with fewer requests in flight.
 *
 * @example
 * ```ts
 * const strategy = createLeastLoadedStrategy({ seed: 1 });
 * const nodes = [{ id: 'a', inFlight: 9, available: true }, { id: 'b', inFlight: 0, available: true }];
 * strategy.choose('42', nodes)?.id; // 'b'
 * ```
 */
export function createLeastLoadedStrategy(options: LeastLoadedOptions = {}): BalancingStrategy {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}.`);
  const random = createRandom(seed);
  return {
    name: 'least-loaded(p2c)',
    supports: { affinity: false, boundedLoad: false },
    choose(_jobId, nodes, avoid) {
      const count = nodes.length;
      if (count === 0) return undefined;
      const first = pickFrom(nodes, Math.floor(random() * count), avoid, undefined);
      if (first === undefined) return undefined;
      const second = pickFrom(nodes, Math.floor(random() * count), avoid, first);
      return second !== undefined && second.inFlight < first.inFlight ? second : first;
    },
  };
}

/** The first usable node from `start` on (wrapping), other than `not`. */
function pickFrom(
  nodes: readonly NodeLoad[],
  start: number,
  avoid: string | undefined,
  not: NodeLoad | undefined,
): NodeLoad | undefined {
  for (let step = 0; step < nodes.length; step++) {
    const node = nodes[(start + step) % nodes.length]!;
    if (node.available && node.id !== avoid && node !== not) return node;
  }
  return undefined;
}
