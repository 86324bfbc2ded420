/** What the runtime measured about a cached app: its resident size and what a cold start of it cost. */
export interface CacheEntryInfo {
  /** Resident bytes (compiled module + warm instances). */
  sizeBytes: number;
  /** Milliseconds a cold start of this app took (load, compile, instantiate). */
  coldStartMs: number;
}

/**
 * A keep-alive policy: decides which warm apps to drop when memory is short (`selectVictims`) and which to
 * drop although it is not (`expired`). The {@link KeepAliveCache} calls it; a policy never holds values.
 *
 * Contract: the cache calls `onMiss` (or `onPrewarm`) when an id becomes resident, `onHit` on each use of a
 * resident id, `onEvict` when it leaves. `selectVictims` and `expired` must not change the policy's state and
 * must return resident ids only. Times are milliseconds on the cache's clock (virtual in simulations).
 *
 * @example
 * ```ts
 * const cache = new KeepAliveCache<string>({ budgetBytes: 1 << 30, policy: createLruPolicy() });
 * ```
 */
export interface KeepAlivePolicy {
  /** A short name for reports (`lru`, `ttl-10m`, `gdsf`, `hybrid-histogram`, `default`). */
  readonly name: string;
  /** A resident id was used (a warm start). */
  onHit(id: string, now: number): void;
  /** A cold start happened and `id` is now resident. */
  onMiss(id: string, info: CacheEntryInfo, now: number): void;
  /** `id` left the cache (evicted, expired or deleted). */
  onEvict(id: string, now: number): void;
  /** Resident ids to drop to make `needBytes` room, cheapest loss first. */
  selectVictims(needBytes: number, resident: ReadonlyMap<string, CacheEntryInfo>, now: number): string[];
  /** Resident ids the policy wants dropped now although memory is not short. */
  expired(resident: ReadonlyMap<string, CacheEntryInfo>, now: number): string[];
  /** Optional: non-resident ids the policy wants loaded now, before their next request. */
  prewarm?(now: number): string[];
  /** Optional (addition to the shared interface): `id` was loaded by a pre-warm, not by a request. */
  onPrewarm?(id: string, info: CacheEntryInfo, now: number): void;
  /**
   * Optional (addition): the earliest time at which `expired` or `prewarm` may return something new, or
   * `undefined` when nothing is scheduled. Lets a runtime arm one timer instead of polling, and a simulation
   * account memory exactly.
   */
  nextEventAt?(now: number): number | undefined;
}

/** Counters of a {@link KeepAliveCache}. */
export interface KeepAliveCacheStats {
  /** `get` calls that found the id. */
  hits: number;
  /** `get` calls that did not (each one is a cold start for the runtime). */
  misses: number;
  /** Entries dropped by the cache: to make room or because the policy expired them (not `delete`). */
  evictions: number;
  /** Resident bytes now. */
  usedBytes: number;
  /** Entries dropped because the policy expired them (a subset of `evictions`). */
  expirations: number;
  /** Entries removed by `delete`. */
  deletes: number;
  /** `set` calls not cached: bigger than the budget, or the policy could not free enough room. */
  rejected: number;
  /** Entries loaded with `set(..., { prewarm: true })`. */
  prewarms: number;
}
