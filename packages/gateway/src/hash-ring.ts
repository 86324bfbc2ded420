import type { NodeLoad } from './strategy.js';

/**
 * A 32-bit hash of a string (MurmurHash3's mixing over UTF-16 code units). Stable across processes and
 * versions: gateway replicas must agree on it, so changing it moves every job.
 */
export function hashString(text: string, seed = 0x9747b28c): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    let k = Math.imul(text.charCodeAt(i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= text.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A consistent-hash ring over one node set: `replicas` points per node, sorted. */
export interface HashRing {
  /** Point positions, ascending. */
  readonly points: Uint32Array;
  /** For each point, the index of its node in the node array the ring was built for. */
  readonly owners: Uint32Array;
  /** Scratch for walks: `stamp[node] === generation` means the node was already visited. */
  readonly stamp: Uint32Array;
  generation: number;
}

/** Builds the ring for `ids` with `replicas` virtual points per node. Points depend on ids only, not order. */
export function buildRing(ids: readonly string[], replicas: number): HashRing {
  const count = ids.length * replicas;
  const pairs = new Float64Array(count);
  const owners = new Uint32Array(count);
  const points = new Uint32Array(count);
  // Sort (position, owner) pairs packed in one float: position × 2^16 + owner fits in 48 bits exactly.
  for (let node = 0; node < ids.length; node++) {
    for (let r = 0; r < replicas; r++) pairs[node * replicas + r] = hashString(`${ids[node]}#${r}`) * 65536 + node;
  }
  pairs.sort();
  for (let i = 0; i < count; i++) {
    const pair = pairs[i]!;
    points[i] = Math.floor(pair / 65536);
    owners[i] = pair % 65536;
  }
  return { points, owners, stamp: new Uint32Array(ids.length), generation: 0 };
}

/** Index of the first point ≥ `hash`, wrapping to 0. */
export function ringStart(ring: HashRing, hash: number): number {
  const points = ring.points;
  let low = 0;
  let high = points.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (points[middle]! < hash) low = middle + 1;
    else high = middle;
  }
  return low === points.length ? 0 : low;
}

/** Rings cached per node array (by reference first, then by the ids in order). */
export class RingCache {
  readonly #byArray = new WeakMap<readonly NodeLoad[], HashRing>();
  readonly #byIds = new Map<string, HashRing>();

  constructor(readonly replicas: number) {}

  ringOf(nodes: readonly NodeLoad[]): HashRing {
    let ring = this.#byArray.get(nodes);
    if (ring !== undefined) return ring;
    const ids = nodes.map((node) => node.id);
    const key = ids.join('\u0000');
    ring = this.#byIds.get(key);
    if (ring === undefined) {
      if (nodes.length > 65535) throw new RangeError(`A job may have at most 65535 nodes, got ${nodes.length}.`);
      ring = buildRing(ids, this.replicas);
      // Bounded so that callers passing ever-new node sets cannot grow memory without limit.
      if (this.#byIds.size >= 1024) this.#byIds.clear();
      this.#byIds.set(key, ring);
    }
    this.#byArray.set(nodes, ring);
    return ring;
  }
}
