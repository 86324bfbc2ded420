import { hashString, RingCache, ringStart } from './hash-ring.js';
import type { BalancingStrategy, NodeLoad } from './strategy.js';

/** Options of {@link createBoundedLoadStrategy}. */
export interface BoundedLoadOptions {
  /**
   * Load slack: a node takes a request only if its in-flight count stays within
   * `ceil((1 + epsilon) × average)`. Smaller is more even, larger keeps jobs home more. Default 0.25.
   */
  epsilon?: number;
  /** The job lives on its first `replication` ring nodes (its homes); the others take it only when those are full or down. Default 1. */
  replication?: number;
  /** Virtual points per node on the ring. Default 160. */
  virtualNodes?: number;
}

/** Options of {@link createConsistentHashStrategy}. */
export interface ConsistentHashOptions {
  /** Virtual points per node on the ring. Default 160. */
  virtualNodes?: number;
}

function checkVirtualNodes(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 4096) {
    throw new RangeError(`virtualNodes must be an integer from 1 to 4096, got ${value}.`);
  }
  return value;
}

/**
 * The default strategy: task affinity with consistent hashing with bounded loads (Mirrokni, Thorup,
 * Zadimoghaddam 2018). Each job has a fixed preference order of nodes (its walk on a hash ring); the first
 * `replication` of them are its homes and keep its app warm. A request goes to the least-loaded home whose
 * in-flight count stays within `ceil((1 + epsilon) × average)`, else to the next node in the job's order that
 * does. The choice is a pure function of (job, node set, loads), so stateless gateway replicas agree, and a
 * hot job overflows to the same few nodes every time (which therefore stay warm for it).
 *
 * @throws {RangeError} epsilon not > 0, replication not a positive integer, virtualNodes out of range
 * @example
 * ```ts
 * const strategy = createBoundedLoadStrategy({ epsilon: 0.25, replication: 2 });
 * const nodes = [{ id: 'a', inFlight: 3, available: true }, { id: 'b', inFlight: 0, available: true }];
 * strategy.choose('42', nodes)?.id; // 'a' or 'b', the same on every replica
 * ```
 */
export function createBoundedLoadStrategy(options: BoundedLoadOptions = {}): BalancingStrategy {
  const epsilon = options.epsilon ?? 0.25;
  const replication = options.replication ?? 1;
  if (!(typeof epsilon === 'number' && epsilon > 0 && Number.isFinite(epsilon))) {
    throw new RangeError(`epsilon must be a finite number > 0, got ${epsilon}.`);
  }
  if (!Number.isInteger(replication) || replication < 1) {
    throw new RangeError(`replication must be a positive integer, got ${replication}.`);
  }
  const rings = new RingCache(checkVirtualNodes(options.virtualNodes ?? 160));
  const factor = 1 + epsilon;

  return {
    name: replication === 1 ? `bounded-load(ε=${epsilon})` : `bounded-load(ε=${epsilon}, r=${replication})`,
    supports: { affinity: true, boundedLoad: true },
    choose(jobId, nodes, avoid) {
      let total = 0;
      let count = 0;
      for (const node of nodes) {
        if (node.available && node.id !== avoid) {
          total += node.inFlight;
          count++;
        }
      }
      if (count === 0) return undefined;
      const capacity = Math.ceil((factor * (total + 1)) / count);
      const ring = rings.ringOf(nodes);
      const { points, owners, stamp } = ring;
      const generation = nextGeneration(ring);
      let index = ringStart(ring, hashString(jobId));
      let visited = 0;
      let homes = 0;
      let best: NodeLoad | undefined;
      let leastLoaded: NodeLoad | undefined;
      for (let step = 0; step < points.length && visited < nodes.length; step++, index++) {
        if (index === points.length) index = 0;
        const owner = owners[index]!;
        if (stamp[owner] === generation) continue;
        stamp[owner] = generation;
        visited++;
        const node = nodes[owner]!;
        if (!node.available || node.id === avoid) continue;
        if (leastLoaded === undefined || node.inFlight < leastLoaded.inFlight) leastLoaded = node;
        if (homes < replication) {
          homes++;
          if (node.inFlight < capacity && (best === undefined || node.inFlight < best.inFlight)) best = node;
          if (homes === replication && best !== undefined) return best;
        } else if (node.inFlight < capacity) {
          return node;
        }
      }
      // Unreachable with consistent loads (some node is at or below average); kept for safety.
      return best ?? leastLoaded;
    },
  };
}

/**
 * Plain consistent hashing (a baseline): each job goes to the first available node on its ring walk,
 * whatever the load.
 *
 * @example
 * ```ts
 * const strategy = createConsistentHashStrategy();
 * strategy.choose('42', [{ id: 'a', inFlight: 0, available: true }])?.id; // 'a'
 * ```
 */
export function createConsistentHashStrategy(options: ConsistentHashOptions = {}): BalancingStrategy {
  const rings = new RingCache(checkVirtualNodes(options.virtualNodes ?? 160));
  return {
    name: 'consistent-hash',
    supports: { affinity: true, boundedLoad: false },
    choose(jobId, nodes, avoid) {
      if (nodes.length === 0) return undefined;
      const ring = rings.ringOf(nodes);
      const { points, owners, stamp } = ring;
      const generation = nextGeneration(ring);
      let index = ringStart(ring, hashString(jobId));
      let visited = 0;
      for (let step = 0; step < points.length && visited < nodes.length; step++, index++) {
        if (index === points.length) index = 0;
        const owner = owners[index]!;
        if (stamp[owner] === generation) continue;
        stamp[owner] = generation;
        visited++;
        const node = nodes[owner]!;
        if (node.available && node.id !== avoid) return node;
      }
      return undefined;
    },
  };
}

function nextGeneration(ring: { generation: number; stamp: Uint32Array }): number {
  ring.generation = (ring.generation + 1) >>> 0;
  if (ring.generation === 0) {
    ring.stamp.fill(0);
    ring.generation = 1;
  }
  return ring.generation;
}
