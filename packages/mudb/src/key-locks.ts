/**
 * Per-key mutual exclusion inside one process, striped: a key hashes to one of `stripes` locks.
 * Acquiring a free stripe allocates nothing and returns synchronously, so the uncontended path costs a hash
 * and two array reads. Waiters are served first come, first served. Multi-key holders lock their stripes in
 * ascending order, so two batches can never deadlock.
 */
export class KeyLocks {
  readonly #busy: Uint8Array;
  readonly #waiters = new Map<number, Array<() => void>>();
  readonly #mask: number;

  constructor(stripes = 4096) {
    if (!Number.isInteger(Math.log2(stripes))) throw new RangeError('stripes must be a power of two');
    this.#busy = new Uint8Array(stripes);
    this.#mask = stripes - 1;
  }

  /** The stripe a key hash falls in. */
  stripe(hash: number): number {
    return hash & this.#mask;
  }

  /** Takes a stripe: undefined when it was free (now held), else a promise that resolves once it is held. */
  acquire(stripe: number): Promise<void> | undefined {
    if (this.#busy[stripe] === 0) {
      this.#busy[stripe] = 1;
      return undefined;
    }
    return new Promise<void>((resolve) => {
      const queue = this.#waiters.get(stripe);
      if (queue) queue.push(resolve);
      else this.#waiters.set(stripe, [resolve]);
    });
  }

  /** Takes several stripes (deduplicated, ascending). */
  async acquireAll(stripes: readonly number[]): Promise<number[]> {
    const sorted = [...new Set(stripes)].sort((a, b) => a - b);
    for (const stripe of sorted) {
      const wait = this.acquire(stripe);
      if (wait) await wait;
    }
    return sorted;
  }

  /** Hands the stripe to the next waiter, or frees it. */
  release(stripe: number): void {
    const queue = this.#waiters.get(stripe);
    if (queue !== undefined) {
      const next = queue.shift()!;
      if (queue.length === 0) this.#waiters.delete(stripe);
      next();
      return;
    }
    this.#busy[stripe] = 0;
  }

  /** Releases stripes taken with {@link acquireAll}. */
  releaseAll(stripes: readonly number[]): void {
    for (let i = stripes.length - 1; i >= 0; i--) this.release(stripes[i]!);
  }
}
