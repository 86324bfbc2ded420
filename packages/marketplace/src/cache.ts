/**
 * A small time-to-live cache of promises: a read in flight is shared by every caller that asks for it
 * (no duplicate request), and its answer is reused until the TTL passes.
 */
export interface TtlCache {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): void;
  clear(): void;
  readonly size: number;
}

/**
 * Makes a TTL cache holding at most `maxEntries` entries (oldest dropped first).
 *
 * @param ttlMs Milliseconds an entry lives; 0 caches nothing beyond requests already in flight.
 * @example
 * ```ts
 * const cache = createTtlCache(4000);
 * cache.set('regions', promise);
 * ```
 */
export function createTtlCache(ttlMs: number, maxEntries = 2000): TtlCache {
  const entries = new Map<string, { expires: number; value: unknown }>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expires < Date.now()) {
        entries.delete(key);
        return undefined;
      }
      return entry.value;
    },
    set(key, value) {
      entries.delete(key);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      // With a TTL of 0 the entry still serves callers that ask while the request is in flight.
      const expires = ttlMs === 0 ? Number.POSITIVE_INFINITY : Date.now() + ttlMs;
      entries.set(key, { expires, value });
      if (ttlMs === 0) {
        Promise.resolve(value).then(
          () => entries.get(key)?.value === value && entries.delete(key),
          () => entries.get(key)?.value === value && entries.delete(key),
        );
      }
    },
    delete(key) {
      entries.delete(key);
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}
