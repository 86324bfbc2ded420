import { createDefaultPolicy } from './default-policy.js';
import type { CacheEntryInfo, KeepAliveCacheStats, KeepAlivePolicy } from './types.js';

/** Options of {@link KeepAliveCache}. */
export interface KeepAliveCacheOptions<T> {
  /** The memory budget: the sum of resident `sizeBytes` never exceeds it. */
  budgetBytes: number;
  /** Which apps stay warm; {@link createDefaultPolicy} when omitted. */
  policy?: KeepAlivePolicy;
  /** Called after an entry left the cache (evicted, expired, deleted or replaced): release `value` here. */
  onEvict?: (id: string, value: T) => void;
  /** The clock in milliseconds; `performance.now()` when omitted. Inject a virtual clock to simulate. */
  now?: () => number;
}

/** Options of {@link KeepAliveCache.set}. */
export interface KeepAliveSetOptions {
  /** The entry was loaded ahead of a request (the policy's `prewarm`), not by a cold start. */
  prewarm?: boolean;
}

interface Entry<T> {
  value: T;
  info: CacheEntryInfo;
}

/**
 * Holds compiled modules / warm instances of apps within a memory budget; a {@link KeepAlivePolicy} chooses
 * which stay. Every operation is O(log n) with the bundled policies.
 *
 * @example
 * ```ts
 * const cache = new KeepAliveCache<WebAssembly.Module>({ budgetBytes: 512 * 2 ** 20 });
 * let module = cache.get('job-1');
 * if (module === undefined) {
 *   module = await WebAssembly.compile(bytes); // a cold start: measure it
 *   cache.set('job-1', module, { sizeBytes: bytes.byteLength * 4, coldStartMs: 35 });
 * }
 * ```
 */
export class KeepAliveCache<T> {
  readonly #budgetBytes: number;
  readonly #policy: KeepAlivePolicy;
  readonly #onEvict: ((id: string, value: T) => void) | undefined;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry<T>>();
  readonly #infos = new Map<string, CacheEntryInfo>();
  #usedBytes = 0;
  readonly #counters = { hits: 0, misses: 0, evictions: 0, expirations: 0, deletes: 0, rejected: 0, prewarms: 0 };

  /**
   * @throws {RangeError} when `budgetBytes` is not a finite number >= 0.
   * @throws {TypeError} when `policy`, `onEvict` or `now` has the wrong type.
   */
  constructor(options: KeepAliveCacheOptions<T>) {
    if (typeof options !== 'object' || options === null) throw new TypeError('KeepAliveCache: pass { budgetBytes }');
    const { budgetBytes, policy, onEvict, now } = options;
    if (typeof budgetBytes !== 'number' || !Number.isFinite(budgetBytes) || budgetBytes < 0) {
      throw new RangeError(`KeepAliveCache: budgetBytes must be a finite number >= 0, got ${String(budgetBytes)}`);
    }
    if (policy !== undefined && (typeof policy !== 'object' || typeof policy.selectVictims !== 'function')) {
      throw new TypeError('KeepAliveCache: policy must implement KeepAlivePolicy (e.g. createLruPolicy())');
    }
    if (onEvict !== undefined && typeof onEvict !== 'function') {
      throw new TypeError('KeepAliveCache: onEvict must be a function');
    }
    if (now !== undefined && typeof now !== 'function') throw new TypeError('KeepAliveCache: now must be a function');
    this.#budgetBytes = budgetBytes;
    this.#policy = policy ?? createDefaultPolicy();
    this.#onEvict = onEvict;
    this.#now = now ?? (() => performance.now());
  }

  /** The memory budget in bytes. */
  get budgetBytes(): number {
    return this.#budgetBytes;
  }

  /** The policy in use. */
  get policy(): KeepAlivePolicy {
    return this.#policy;
  }

  /** Sum of the resident entries' `sizeBytes`; never above `budgetBytes`. */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  /** Number of resident entries. */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether `id` is resident; unlike `get`, counts neither a hit nor a miss. */
  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** The resident entry's value, counted as a hit (the policy learns of the use); `undefined` is a miss. */
  get(id: string): T | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) {
      this.#counters.misses++;
      return undefined;
    }
    this.#counters.hits++;
    this.#policy.onHit(id, this.#now());
    return entry.value;
  }

  /**
   * Caches `value` after a cold start (or a pre-warm), evicting what the policy chooses to fit the budget.
   * A resident `id` is replaced (its old value goes to `onEvict`). An entry bigger than the whole budget, or
   * one the policy cannot make room for, is not cached.
   *
   * @returns whether the entry is now resident.
   * @throws {TypeError|RangeError} when `id` is not a string or `info` has no finite, non-negative
   *   `sizeBytes` and `coldStartMs`; nothing has changed then.
   */
  set(id: string, value: T, info: CacheEntryInfo, options: KeepAliveSetOptions = {}): boolean {
    if (typeof id !== 'string') throw new TypeError('KeepAliveCache.set: id must be a string');
    checkInfo(info);
    const now = this.#now();
    const previous = this.#entries.get(id);
    if (previous !== undefined) this.#remove(id, previous, now);
    if (info.sizeBytes > this.#budgetBytes) {
      this.#counters.rejected++;
      return false;
    }
    const needBytes = this.#usedBytes + info.sizeBytes - this.#budgetBytes;
    if (needBytes > 0) {
      const victims = this.#validVictims(this.#policy.selectVictims(needBytes, this.#infos, now));
      let freed = 0;
      for (const victim of victims) freed += this.#entries.get(victim)!.info.sizeBytes;
      // A policy that frees too little must not push the cache over budget: keep the residents, skip this one.
      if (freed < needBytes) {
        this.#counters.rejected++;
        return false;
      }
      for (const victim of victims) {
        this.#counters.evictions++;
        this.#remove(victim, this.#entries.get(victim)!, now);
      }
    }
    const copy = { sizeBytes: info.sizeBytes, coldStartMs: info.coldStartMs };
    this.#entries.set(id, { value, info: copy });
    this.#infos.set(id, copy);
    this.#usedBytes += copy.sizeBytes;
    if (options.prewarm === true) {
      this.#counters.prewarms++;
      if (this.#policy.onPrewarm !== undefined) this.#policy.onPrewarm(id, copy, now);
      else this.#policy.onMiss(id, copy, now);
    } else {
      this.#policy.onMiss(id, copy, now);
    }
    return true;
  }

  /** Removes `id` (e.g. the app was unregistered); `onEvict` receives its value. Returns whether it was resident. */
  delete(id: string): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    this.#counters.deletes++;
    this.#remove(id, entry, this.#now());
    return true;
  }

  /**
   * Drops the entries the policy considers expired now (TTL, keep-alive windows). Call it on a timer, or at
   * {@link KeepAliveCache.nextEventAt}.
   *
   * @returns the evicted ids.
   */
  sweep(): string[] {
    const now = this.#now();
    const victims = this.#validVictims(this.#policy.expired(this.#infos, now));
    for (const victim of victims) {
      this.#counters.evictions++;
      this.#counters.expirations++;
      this.#remove(victim, this.#entries.get(victim)!, now);
    }
    return victims;
  }

  /** Ids the policy wants pre-warmed now (not resident); load them and `set(id, value, info, { prewarm: true })`. */
  prewarmCandidates(): string[] {
    const ids = this.#policy.prewarm?.(this.#now()) ?? [];
    return ids.filter((id) => !this.#entries.has(id));
  }

  /** When `sweep` or `prewarmCandidates` may next have work, per the policy; `undefined` when never. */
  nextEventAt(): number | undefined {
    return this.#policy.nextEventAt?.(this.#now());
  }

  /** The counters; `usedBytes` is the current figure. */
  stats(): KeepAliveCacheStats {
    return { ...this.#counters, usedBytes: this.#usedBytes };
  }

  #validVictims(ids: readonly string[]): string[] {
    const unique = new Set<string>();
    for (const id of ids) if (this.#entries.has(id)) unique.add(id);
    return [...unique];
  }

  #remove(id: string, entry: Entry<T>, now: number): void {
    this.#entries.delete(id);
    this.#infos.delete(id);
    this.#usedBytes -= entry.info.sizeBytes;
    if (this.#entries.size === 0) this.#usedBytes = 0; // no float drift once empty
    this.#policy.onEvict(id, now);
    this.#onEvict?.(id, entry.value);
  }
}

function checkInfo(info: CacheEntryInfo): void {
  if (typeof info !== 'object' || info === null) {
    throw new TypeError('KeepAliveCache.set: info must be { sizeBytes, coldStartMs }');
  }
  for (const key of ['sizeBytes', 'coldStartMs'] as const) {
    const value = info[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`KeepAliveCache.set: info.${key} must be a finite number >= 0, got ${String(value)}`);
    }
  }
}
