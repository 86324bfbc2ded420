/**
 * The storage contract under MuDB. MuDB validates arguments, encodes keys, checks size limits and meters
 * usage; a backend stores bytes, keeps each namespace's stored-bytes figure, enforces its quota atomically
 * with the write, and runs the atomic operations.
 *
 * Keys reaching a backend are already scoped to a bucket; the backend scopes them to the namespace, so no
 * key of one namespace can address another, whatever bytes it holds.
 */
export interface MuBackend {
  /** What this backend can do; MuDB and callers read it instead of probing. */
  readonly supports: BackendCapabilities;
  open(): Promise<void>;
  close(): Promise<void>;
  get(namespace: string, key: Uint8Array): Promise<Uint8Array | undefined>;
  /** Present when `supports.getSync`; reads without a promise (in-memory backends). */
  getSync?(namespace: string, key: Uint8Array): Uint8Array | undefined;
  getMany(namespace: string, keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
  has(namespace: string, key: Uint8Array): Promise<boolean>;
  /**
   * Applies every operation or none. Fails with `QuotaExceededError` when the namespace would hold more
   * than `limits.maxStoredBytes` after the write (a write that frees space always passes).
   * @returns the namespace's stored bytes after the write.
   */
  write(namespace: string, operations: readonly WriteOperation[], limits: WriteLimits): Promise<number>;
  /**
   * Adds `delta` to the signed 64-bit decimal counter at `key` (absent = 0), linearizably.
   * @throws NotACounterError, CounterOverflowError, QuotaExceededError
   */
  increment(namespace: string, key: Uint8Array, delta: bigint, limits: WriteLimits): Promise<IncrementResult>;
  /**
   * Writes `next` (or deletes when `next` is undefined) only if the key currently holds exactly `expected`
   * (`undefined` = absent), linearizably.
   */
  compareAndSwap(
    namespace: string,
    key: Uint8Array,
    expected: Uint8Array | undefined,
    next: Uint8Array | undefined,
    limits: WriteLimits,
  ): Promise<CompareAndSwapResult>;
  /** Entries in key order (or reverse) within the bounds, at most `limit`. */
  range(namespace: string, options: RangeOptions): Promise<Entry[]>;
  /** Bytes (keys + values) the namespace holds now. */
  storedBytes(namespace: string): Promise<number>;
}

/** A backend's capability manifest, in the spirit of abstract-level's `db.supports`. */
export interface BackendCapabilities {
  /** Several processes may share the store (a server, PostgreSQL); atomics are then native to the backend. */
  readonly sharedAcrossProcesses: boolean;
  /**
   * Where increment / compare-and-swap are made linearizable: `'process'` (MuDB serializes per key inside
   * this process: correct only while one process owns the store) or `'global'` (the backend does it natively).
   */
  readonly atomics: 'process' | 'global';
  /** Data survives a restart of the process. */
  readonly permanence: boolean;
  /** `getSync` is available. */
  readonly getSync: boolean;
  /** The largest number of operations one atomic `write` accepts. */
  readonly maxBatchSize: number;
}

/** One write of a batch: `value` undefined deletes the key. */
export interface WriteOperation {
  readonly key: Uint8Array;
  readonly value: Uint8Array | undefined;
}

/** Limits a backend enforces atomically with a write. */
export interface WriteLimits {
  readonly maxStoredBytes: number;
}

/** What an increment did. */
export interface IncrementResult {
  readonly value: bigint;
  /** Bytes written (key + new value). */
  readonly bytesWritten: number;
  readonly storedBytes: number;
}

/** What a compare-and-swap did. */
export interface CompareAndSwapResult {
  readonly swapped: boolean;
  /** The value read (the one compared). */
  readonly current: Uint8Array | undefined;
  readonly storedBytes: number;
}

/** Bounds on raw key bytes (inside one namespace) for a range read. */
export interface RangeOptions {
  readonly gt?: Uint8Array;
  readonly gte?: Uint8Array;
  readonly lt?: Uint8Array;
  readonly lte?: Uint8Array;
  readonly limit: number;
  readonly reverse?: boolean;
  /** When false, entries come back with an empty value (key listings). */
  readonly values?: boolean;
}

/** A key and its value. */
export type Entry = readonly [key: Uint8Array, value: Uint8Array];
