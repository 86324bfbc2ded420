import type { Entry, WriteOperation } from './backend.js';
import {
  concatBytes,
  copyBytes,
  fromUtf8,
  hasPrefix,
  isWellFormed,
  lengthPrefixed,
  prefixedUtf8,
  prefixUpperBound,
  utf8,
} from './bytes.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { BadCursorError, BatchTooLargeError, KeyTooLargeError, NotOpenError, ValueTooLargeError } from './errors.js';
import { DEFAULT_PAGE, MAX_PAGE } from './limits.js';
import type { Namespace } from './namespace.js';
import type { StoreState } from './store-state.js';

/** A value as callers pass it: bytes, or a string stored as UTF-8. */
export type ValueInput = Uint8Array | string;

/** Options of {@link Bucket.listKeys}. */
export interface ListKeysOptions {
  /** Only keys that start with this string. */
  prefix?: string;
  /** The `cursor` a previous page returned. */
  cursor?: string;
  /** Keys per page (default 1,000; at most 10,000). */
  limit?: number;
}

/** One page of keys. `cursor` is set when more keys may follow. */
export interface KeyPage {
  keys: string[];
  cursor?: string;
}

/** Options of {@link Bucket.range}: bounds on keys (strings compare by their UTF-8 bytes). */
export interface RangeQuery {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
  /** At most this many entries (default 1,000; at most 10,000). */
  limit?: number;
  reverse?: boolean;
}

/** One operation of {@link Bucket.batch}. */
export type BatchOperation = { type: 'set'; key: string; value: ValueInput } | { type: 'delete'; key: string };

/**
 * A bucket of keys inside a namespace. Every operation maps to one of wasi:keyvalue 0.2.0-draft2 (see README).
 */
export class Bucket {
  readonly #core: StoreState;
  readonly #namespace: Namespace;
  readonly #prefix: Uint8Array;
  readonly #upperBound: Uint8Array;

  /** @internal use {@link Namespace.bucket} */
  constructor(
    core: StoreState,
    namespace: Namespace,
    readonly name: string,
  ) {
    this.#core = core;
    this.#namespace = namespace;
    this.#prefix = lengthPrefixed(utf8(name));
    this.#upperBound = prefixUpperBound(this.#prefix)!;
  }

  /** The value at `key`, or undefined. */
  get(key: string): Promise<Uint8Array | undefined> {
    const core = this.#core;
    if (!core.open) return Promise.reject(new NotOpenError());
    let scoped: Uint8Array;
    try {
      scoped = this.#key(key);
    } catch (error) {
      return Promise.reject(error);
    }
    const backend = core.backend;
    if (backend.getSync !== undefined && backend.supports.getSync) {
      try {
        return Promise.resolve(this.#countRead(backend.getSync(this.#namespace.name, scoped)));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return backend.get(this.#namespace.name, scoped).then((value) => this.#countRead(value));
  }

  #countRead(value: Uint8Array | undefined): Uint8Array | undefined {
    const meter = this.#namespace.meter;
    meter.reads++;
    if (value === undefined) return undefined;
    meter.bytesRead += value.length;
    return this.#core.copyReads ? copyBytes(value) : plain(value);
  }

  /** Whether `key` holds a value. */
  async exists(key: string): Promise<boolean> {
    this.#assertOpen();
    const found = await this.#core.backend.has(this.#namespace.name, this.#key(key));
    this.#namespace.meter.reads++;
    return found;
  }

  /**
   * Stores `value` at `key`.
   * @throws KeyTooLargeError, ValueTooLargeError, QuotaExceededError (nothing written)
   */
  set(key: string, value: ValueInput): Promise<void> {
    if (!this.#core.open) return Promise.reject(new NotOpenError());
    let operation: WriteOperation;
    try {
      operation = { key: this.#key(key), value: this.#value(value) };
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#write([operation]);
  }

  /** Removes `key` (no error when absent). */
  delete(key: string): Promise<void> {
    if (!this.#core.open) return Promise.reject(new NotOpenError());
    let operation: WriteOperation;
    try {
      operation = { key: this.#key(key), value: undefined };
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#write([operation]);
  }

  /** Values of several keys, in order (undefined where absent). */
  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    this.#assertOpen();
    if (!Array.isArray(keys)) throw new TypeError('keys must be an array of strings');
    this.#checkBatchSize(keys.length);
    const values = await this.#core.backend.getMany(
      this.#namespace.name,
      keys.map((key) => this.#key(key)),
    );
    return values.map((value) => this.#countRead(value));
  }

  /** Stores several entries at once: all of them or none. */
  setMany(entries: Iterable<readonly [string, ValueInput]>): Promise<void> {
    const operations: BatchOperation[] = [];
    for (const entry of entries) {
      if (!Array.isArray(entry) || entry.length !== 2) throw new TypeError('each entry must be a [key, value] pair');
      operations.push({ type: 'set', key: entry[0], value: entry[1] });
    }
    return this.batch(operations);
  }

  /** Removes several keys at once: all of them or none. */
  deleteMany(keys: readonly string[]): Promise<void> {
    if (!Array.isArray(keys)) throw new TypeError('keys must be an array of strings');
    return this.batch(keys.map((key) => ({ type: 'delete' as const, key })));
  }

  /**
   * Sets and deletes atomically: every operation applies or none. Every key and value is checked before
   * anything is written.
   */
  async batch(operations: readonly BatchOperation[]): Promise<void> {
    this.#assertOpen();
    if (!Array.isArray(operations)) throw new TypeError('operations must be an array');
    this.#checkBatchSize(operations.length);
    if (operations.length === 0) return;
    const writes: WriteOperation[] = operations.map((operation) => {
      if (operation === null || typeof operation !== 'object') throw new TypeError('each operation must be an object');
      if (operation.type === 'set') return { key: this.#key(operation.key), value: this.#value(operation.value) };
      if (operation.type === 'delete') return { key: this.#key(operation.key), value: undefined };
      throw new TypeError(
        `operation type must be 'set' or 'delete', got ${String((operation as { type: unknown }).type)}`,
      );
    });
    await this.#write(writes);
  }

  /**
   * Adds `delta` to the signed 64-bit counter at `key` (absent counts as 0), atomically.
   * Counters are stored as ASCII decimal, so `get` reads them as text.
   * @returns the new value
   * @throws NotACounterError, CounterOverflowError, QuotaExceededError
   */
  async increment(key: string, delta: bigint = 1n): Promise<bigint> {
    this.#assertOpen();
    if (typeof delta !== 'bigint') throw new TypeError('delta must be a bigint');
    if (delta < -(2n ** 63n) || delta > 2n ** 63n - 1n)
      throw new RangeError('delta must fit in a signed 64-bit integer');
    const scoped = this.#key(key);
    const namespace = this.#namespace;
    const result = await this.#core.backend.increment(namespace.name, scoped, delta, namespace.quota);
    const meter = namespace.meter;
    meter.reads++;
    meter.writes++;
    meter.bytesWritten += result.bytesWritten;
    meter.storedBytes = result.storedBytes;
    return result.value;
  }

  /**
   * Writes `next` only if `key` holds exactly `expected` (`undefined` = absent), atomically
   * (wasi:keyvalue `cas`: `expected` is what `cas.new` read). `next` undefined deletes the key.
   * @returns whether the swap happened
   */
  async compareAndSwap(key: string, expected: ValueInput | undefined, next: ValueInput | undefined): Promise<boolean> {
    this.#assertOpen();
    const scoped = this.#key(key);
    const expectedBytes = expected === undefined ? undefined : toBytes(expected, 'expected');
    const nextBytes = next === undefined ? undefined : this.#value(next);
    const namespace = this.#namespace;
    const result = await this.#core.backend.compareAndSwap(
      namespace.name,
      scoped,
      expectedBytes,
      nextBytes,
      namespace.quota,
    );
    const meter = namespace.meter;
    meter.reads++;
    if (result.current !== undefined) meter.bytesRead += result.current.length;
    if (result.swapped) {
      meter.writes++;
      meter.bytesWritten += scoped.length + (nextBytes?.length ?? 0);
    }
    meter.storedBytes = result.storedBytes;
    return result.swapped;
  }

  /**
   * A page of keys in key order (UTF-8 byte order), optionally under a prefix. Pass the returned `cursor`
   * to get the next page; pages never repeat or skip a key that exists throughout the listing.
   * @throws BadCursorError when the cursor is malformed or from a listing with another prefix
   */
  async listKeys(options: ListKeysOptions = {}): Promise<KeyPage> {
    this.#assertOpen();
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const limit = pageLimit(options.limit);
    const prefix = options.prefix === undefined ? new Uint8Array(0) : this.#userKey(options.prefix, 'prefix');
    const scopedPrefix = concatBytes(this.#prefix, prefix);
    let gt: Uint8Array | undefined;
    if (options.cursor !== undefined) {
      if (typeof options.cursor !== 'string') throw new TypeError('cursor must be a string');
      const last = decodeCursor(options.cursor);
      if (!hasPrefix(last, prefix)) throw new BadCursorError('the cursor was made by a listing with another prefix');
      gt = concatBytes(this.#prefix, last);
    }
    const upper = prefixUpperBound(scopedPrefix) ?? this.#upperBound;
    const entries = await this.#core.backend.range(this.#namespace.name, {
      ...(gt ? { gt } : { gte: scopedPrefix }),
      lt: upper,
      limit: limit + 1,
      values: false,
    });
    const page = entries.slice(0, limit);
    const keys = page.map(([key]) => fromUtf8(key.subarray(this.#prefix.length)));
    const meter = this.#namespace.meter;
    meter.reads += Math.max(1, page.length);
    for (const [key] of page) meter.bytesRead += key.length - this.#prefix.length;
    if (entries.length > limit) {
      const last = page[page.length - 1]![0].subarray(this.#prefix.length);
      return { keys, cursor: encodeCursor(last) };
    }
    return { keys };
  }

  /** Entries between bounds, in key order (or reverse). */
  async range(query: RangeQuery = {}): Promise<Array<[key: string, value: Uint8Array]>> {
    this.#assertOpen();
    if (query === null || typeof query !== 'object') throw new TypeError('query must be an object');
    const bound = (name: 'gt' | 'gte' | 'lt' | 'lte'): Uint8Array | undefined => {
      const value = query[name];
      return value === undefined ? undefined : concatBytes(this.#prefix, this.#userKey(value, name));
    };
    const gt = bound('gt');
    const gte = bound('gte');
    const lt = bound('lt');
    const lte = bound('lte');
    const entries: Entry[] = await this.#core.backend.range(this.#namespace.name, {
      ...(gt ? { gt } : { gte: gte ?? this.#prefix }),
      ...(lt ? { lt } : lte ? { lte } : { lt: this.#upperBound }),
      limit: pageLimit(query.limit),
      reverse: query.reverse === true,
    });
    const meter = this.#namespace.meter;
    meter.reads += Math.max(1, entries.length);
    return entries.map(([key, value]) => {
      meter.bytesRead += key.length - this.#prefix.length + value.length;
      return [fromUtf8(key.subarray(this.#prefix.length)), this.#core.copyReads ? copyBytes(value) : plain(value)];
    });
  }

  async #write(operations: WriteOperation[]): Promise<void> {
    const namespace = this.#namespace;
    const stored = await this.#core.backend.write(namespace.name, operations, namespace.quota);
    const meter = namespace.meter;
    meter.writes += operations.length;
    for (const operation of operations) {
      if (operation.value !== undefined) meter.bytesWritten += operation.key.length + operation.value.length;
    }
    meter.storedBytes = stored;
  }

  #assertOpen(): void {
    if (!this.#core.open) throw new NotOpenError();
  }

  #checkBatchSize(size: number): void {
    const limit = this.#core.backend.supports.maxBatchSize;
    if (size > limit) throw new BatchTooLargeError(size, limit);
  }

  /** UTF-8 bytes of a user key, checked. */
  #userKey(key: string, what = 'key'): Uint8Array {
    if (typeof key !== 'string') throw new TypeError(`${what} must be a string, got ${typeof key}`);
    // Lone surrogates would encode to U+FFFD and let two distinct keys collide.
    if (!isWellFormed(key)) throw new TypeError(`${what} must be a well-formed Unicode string`);
    const bytes = utf8(key);
    const limit = this.#namespace.quota.maxKeyBytes;
    if (bytes.length > limit) throw new KeyTooLargeError(bytes.length, limit);
    return bytes;
  }

  /** The key as the backend sees it: bucket segment + UTF-8 key. */
  #key(key: string): Uint8Array {
    if (typeof key !== 'string') throw new TypeError(`key must be a string, got ${typeof key}`);
    // Lone surrogates would encode to U+FFFD and let two distinct keys collide.
    if (!isWellFormed(key)) throw new TypeError('key must be a well-formed Unicode string');
    const scoped = prefixedUtf8(this.#prefix, key);
    const limit = this.#namespace.quota.maxKeyBytes;
    if (scoped.length - this.#prefix.length > limit)
      throw new KeyTooLargeError(scoped.length - this.#prefix.length, limit);
    return scoped;
  }

  /** A private copy of the value (the caller may reuse its buffer), checked against the quota. */
  #value(value: ValueInput): Uint8Array {
    const bytes = toBytes(value, 'value');
    const limit = this.#namespace.quota.maxValueBytes;
    if (bytes.length > limit) throw new ValueTooLargeError(bytes.length, limit);
    return typeof value === 'string' ? bytes : copyBytes(bytes);
  }
}

/** A plain Uint8Array over the same memory (backends may hand out Buffers). */
function plain(value: Uint8Array): Uint8Array {
  return value.constructor === Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

function toBytes(value: ValueInput, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return utf8(value);
  throw new TypeError(`${what} must be a Uint8Array or a string, got ${value === null ? 'null' : typeof value}`);
}

function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE;
  if (typeof limit !== 'number' || !Number.isInteger(limit)) throw new TypeError('limit must be an integer');
  if (limit < 1 || limit > MAX_PAGE) throw new RangeError(`limit must be between 1 and ${MAX_PAGE}, got ${limit}`);
  return limit;
}
