import type {
  BackendCapabilities,
  CompareAndSwapResult,
  Entry,
  IncrementResult,
  MuBackend,
  RangeOptions,
  WriteLimits,
  WriteOperation,
} from '../backend.js';
import { concatBytes, equalBytes, hashBytes } from '../bytes.js';
import { addToCounter, formatCounter } from '../counter.js';
import { BackendError, QuotaExceededError } from '../errors.js';
import { KeyLocks } from '../key-locks.js';
import { checkQuota, sizeOf } from '../quota.js';
import { type AnyLevel, implementerApi, type LevelPrivate, unhooked, VIEW } from './abstract-level.js';
import { loadStoredBytes, type NamespaceState, newNamespaceState } from './namespace-state.js';
import { SizeIndex } from './size-index.js';

/** Options of {@link LevelBackend}. */
export interface LevelBackendOptions {
  /**
   * Write mode. `'os'` (default): a write is acknowledged once the storage engine has handed it to the
   * operating system, which survives the process being killed (SIGKILL). `'sync'`: classic-level fsyncs
   * each write before acknowledging it, which also survives power loss, at the cost of a disk flush.
   */
  durability?: 'os' | 'sync';
}

/**
 * A {@link MuBackend} over any abstract-level database: memory-level (the embedded default), classic-level
 * (LevelDB on disk), a sublevel of a larger database, or any other implementation.
 *
 * One process owns the store: increments, compare-and-swap and the stored-bytes accounting are serialized
 * per key in this process (`supports.atomics === 'process'`). Share a store between processes through the
 * MuDB server instead.
 *
 * @example
 * ```ts
 * import { ClassicLevel } from 'classic-level';
 * const db = await openMuDB({ backend: new LevelBackend(new ClassicLevel('./data'), { durability: 'sync' }) });
 * ```
 */
export class LevelBackend implements MuBackend {
  readonly supports: BackendCapabilities;
  readonly #db: AnyLevel;
  readonly #locks = new KeyLocks();
  readonly #namespaces = new Map<string, NamespaceState>();
  readonly #writeOptions: object;
  /** The private API, when this database can take it (bytes natively, no hooks); see {@link LevelPrivate}. */
  #direct: LevelPrivate | undefined;
  /** No permanence: reads are memory lookups, cheap enough to run synchronously on the hot path. */
  readonly #inMemory: boolean;
  /** In-memory stores only: value lengths by key, so a write learns the size it replaces in O(1). */
  #sizes: SizeIndex | undefined;

  constructor(db: AnyLevel, options: LevelBackendOptions = {}) {
    if (db === null || typeof db !== 'object' || typeof (db as { open?: unknown }).open !== 'function') {
      throw new TypeError('LevelBackend needs an abstract-level database (memory-level, classic-level, …)');
    }
    const durability = options.durability ?? 'os';
    if (durability !== 'os' && durability !== 'sync') throw new TypeError("durability must be 'os' or 'sync'");
    this.#db = db;
    this.#writeOptions = { ...VIEW, sync: durability === 'sync' };
    const supports = db.supports as { permanence?: boolean; getSync?: boolean };
    this.#inMemory = supports.permanence === false;
    this.supports = Object.freeze({
      sharedAcrossProcesses: false,
      atomics: 'process',
      permanence: !this.#inMemory,
      // A synchronous read of LevelDB could block the event loop on disk; only in-memory stores offer it.
      getSync: supports.getSync === true && this.#inMemory,
      maxBatchSize: 10_000,
    });
  }

  /** The abstract-level database underneath. */
  get db(): AnyLevel {
    return this.#db;
  }

  async open(): Promise<void> {
    try {
      if (this.#db.status !== 'open') await this.#db.open();
    } catch (error) {
      throw new BackendError('open', error);
    }
    this.#direct = implementerApi(this.#db);
    this.#sizes = this.#inMemory && this.#direct !== undefined ? new SizeIndex() : undefined;
  }

  async close(): Promise<void> {
    try {
      await this.#db.close();
    } catch (error) {
      throw new BackendError('close', error);
    }
  }

  #namespace(name: string): NamespaceState {
    let state = this.#namespaces.get(name);
    if (state === undefined) {
      state = newNamespaceState(name);
      this.#namespaces.set(name, state);
    }
    return state;
  }

  #read(fullKey: Uint8Array): Promise<Uint8Array | undefined> | Uint8Array | undefined {
    const direct = this.#direct;
    if (direct !== undefined && this.#inMemory) {
      return direct._getSync(direct.prefixKey(fullKey, 'view', true), VIEW);
    }
    return this.#db.get(fullKey, VIEW) as Promise<Uint8Array | undefined>;
  }

  get(namespace: string, key: Uint8Array): Promise<Uint8Array | undefined> {
    const fullKey = concatBytes(this.#namespace(namespace).prefix, key);
    try {
      const result = this.#read(fullKey);
      return result instanceof Promise ? result.catch(wrap('get')) : Promise.resolve(result);
    } catch (error) {
      return Promise.reject(new BackendError('get', error));
    }
  }

  getSync(namespace: string, key: Uint8Array): Uint8Array | undefined {
    const fullKey = concatBytes(this.#namespace(namespace).prefix, key);
    try {
      const direct = this.#direct;
      return direct !== undefined
        ? direct._getSync(direct.prefixKey(fullKey, 'view', true), VIEW)
        : (this.#db.getSync(fullKey, VIEW) as Uint8Array | undefined);
    } catch (error) {
      throw new BackendError('get', error);
    }
  }

  async getMany(namespace: string, keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    const prefix = this.#namespace(namespace).prefix;
    try {
      return (await this.#db.getMany(
        keys.map((key) => concatBytes(prefix, key)),
        VIEW,
      )) as (Uint8Array | undefined)[];
    } catch (error) {
      throw new BackendError('getMany', error);
    }
  }

  async has(namespace: string, key: Uint8Array): Promise<boolean> {
    return (await this.get(namespace, key)) !== undefined;
  }

  write(namespace: string, operations: readonly WriteOperation[], limits: WriteLimits): Promise<number> {
    const state = this.#namespace(namespace);
    if (!state.loaded)
      return loadStoredBytes(this.#db, state, this.#sizes).then(() => this.write(namespace, operations, limits));
    if (operations.length === 1) return this.#writeOne(namespace, state, operations[0]!, limits);
    return this.#writeBatch(namespace, state, operations, limits);
  }

  /**
   * One key. The key's stripe is held from the read of the old size to the end of the write, so the
   * stored-bytes figure stays exact under concurrency. On an in-memory database the whole check runs
   * synchronously and the only promise is the storage engine's own.
   */
  #writeOne(namespace: string, state: NamespaceState, operation: WriteOperation, limits: WriteLimits): Promise<number> {
    const fullKey = concatBytes(state.prefix, operation.key);
    const hash = hashBytes(fullKey);
    const stripe = this.#locks.stripe(hash);
    const wait = this.#locks.acquire(stripe);
    if (wait !== undefined)
      return wait.then(() => this.#writeHeld(namespace, state, fullKey, hash, stripe, operation, limits));
    return this.#writeHeld(namespace, state, fullKey, hash, stripe, operation, limits);
  }

  #writeHeld(
    namespace: string,
    state: NamespaceState,
    fullKey: Uint8Array,
    hash: number,
    stripe: number,
    operation: WriteOperation,
    limits: WriteLimits,
  ): Promise<number> {
    const sizes = this.#sizes;
    const direct = sizes !== undefined ? unhooked(this.#direct) : undefined;
    if (direct === undefined) {
      return this.#writeSlow(namespace, state, fullKey, hash, operation, limits).finally(() =>
        this.#locks.release(stripe),
      );
    }
    let delta: number;
    let write: Promise<void>;
    try {
      const mapped = direct.prefixKey(fullKey, 'view', true);
      const previousLength = sizes!.get(hash, fullKey);
      delta = sizeOf(operation) - (previousLength === undefined ? 0 : operation.key.length + previousLength);
      checkQuota(namespace, state.stored, delta, limits);
      write =
        operation.value === undefined
          ? previousLength === undefined
            ? Promise.resolve()
            : direct._del(mapped, this.#writeOptions)
          : direct._put(mapped, operation.value, this.#writeOptions);
    } catch (error) {
      this.#locks.release(stripe);
      return Promise.reject(error instanceof QuotaExceededError ? error : new BackendError('write', error));
    }
    state.stored += delta;
    return this.#settle(write, state, delta, hash, fullKey, operation, stripe);
  }

  async #settle(
    write: Promise<void>,
    state: NamespaceState,
    delta: number,
    hash: number,
    fullKey: Uint8Array,
    operation: WriteOperation,
    stripe: number,
  ): Promise<number> {
    try {
      await write;
    } catch (error) {
      state.stored -= delta;
      throw new BackendError('write', error);
    } finally {
      this.#locks.release(stripe);
    }
    this.#sizes!.set(hash, fullKey, operation.value?.length);
    return state.stored;
  }

  async #writeSlow(
    namespace: string,
    state: NamespaceState,
    fullKey: Uint8Array,
    hash: number,
    operation: WriteOperation,
    limits: WriteLimits,
  ): Promise<number> {
    let previous: Uint8Array | undefined;
    try {
      previous = (await this.#db.get(fullKey, VIEW)) as Uint8Array | undefined;
    } catch (error) {
      throw new BackendError('get', error);
    }
    const delta = sizeOf(operation) - (previous === undefined ? 0 : operation.key.length + previous.length);
    checkQuota(namespace, state.stored, delta, limits);
    state.stored += delta;
    try {
      if (operation.value !== undefined) await this.#db.put(fullKey, operation.value, this.#writeOptions);
      else if (previous !== undefined) await this.#db.del(fullKey, this.#writeOptions);
    } catch (error) {
      state.stored -= delta;
      throw new BackendError(operation.value === undefined ? 'del' : 'put', error);
    }
    this.#sizes?.set(hash, fullKey, operation.value?.length);
    return state.stored;
  }

  /** Several keys, atomically: old sizes are read with every stripe held, then one storage batch. */
  async #writeBatch(
    namespace: string,
    state: NamespaceState,
    operations: readonly WriteOperation[],
    limits: WriteLimits,
  ): Promise<number> {
    const count = operations.length;
    const fullKeys = new Array<Uint8Array>(count);
    const hashes = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      fullKeys[i] = concatBytes(state.prefix, operations[i]!.key);
      hashes[i] = hashBytes(fullKeys[i]!);
    }
    const stripes = await this.#locks.acquireAll(hashes.map((hash) => this.#locks.stripe(hash)));
    try {
      // The last operation on a key wins, as in a level batch: count each distinct key once, at its last write.
      const last = new Map<number, number[]>();
      const distinct: number[] = [];
      for (let i = count - 1; i >= 0; i--) {
        const sameHash = last.get(hashes[i]!);
        if (sameHash?.some((j) => equalBytes(fullKeys[j], fullKeys[i]))) continue;
        if (sameHash) sameHash.push(i);
        else last.set(hashes[i]!, [i]);
        distinct.push(i);
      }
      const sizes = this.#sizes;
      const direct = sizes !== undefined ? unhooked(this.#direct) : undefined;
      let previousLengths: (number | undefined)[];
      try {
        previousLengths = direct
          ? distinct.map((i) => sizes!.get(hashes[i]!, fullKeys[i]!))
          : (
              (await this.#db.getMany(
                distinct.map((i) => fullKeys[i]!),
                VIEW,
              )) as (Uint8Array | undefined)[]
            ).map((value) => value?.length);
      } catch (error) {
        throw new BackendError('getMany', error);
      }
      let delta = 0;
      distinct.forEach((i, index) => {
        const old = previousLengths[index];
        delta += sizeOf(operations[i]!) - (old === undefined ? 0 : operations[i]!.key.length + old);
      });
      checkQuota(namespace, state.stored, delta, limits);
      state.stored += delta;
      try {
        if (direct) {
          await direct._batch(
            operations.map((operation, i) => {
              const key = direct.prefixKey(fullKeys[i]!, 'view', true);
              return operation.value === undefined
                ? { type: 'del', key }
                : { type: 'put', key, value: operation.value };
            }),
            this.#writeOptions,
          );
        } else {
          await this.#db.batch(
            operations.map((operation, i) =>
              operation.value === undefined
                ? { type: 'del' as const, key: fullKeys[i]! }
                : { type: 'put' as const, key: fullKeys[i]!, value: operation.value },
            ),
            this.#writeOptions,
          );
        }
      } catch (error) {
        state.stored -= delta;
        throw new BackendError('batch', error);
      }
      if (sizes !== undefined) {
        for (let i = 0; i < count; i++) sizes.set(hashes[i]!, fullKeys[i]!, operations[i]!.value?.length);
      }
      return state.stored;
    } finally {
      this.#locks.releaseAll(stripes);
    }
  }

  /** Runs `update` on the key's current value with the key's stripe held, then writes what it returns. */
  async #readModifyWrite<T>(
    namespace: string,
    key: Uint8Array,
    limits: WriteLimits,
    update: (current: Uint8Array | undefined) => { next: Uint8Array | undefined | null; result: T },
  ): Promise<{ result: T; storedBytes: number }> {
    const state = this.#namespace(namespace);
    if (!state.loaded) await loadStoredBytes(this.#db, state, this.#sizes);
    const fullKey = concatBytes(state.prefix, key);
    const hash = hashBytes(fullKey);
    const stripe = this.#locks.stripe(hash);
    const wait = this.#locks.acquire(stripe);
    if (wait !== undefined) await wait;
    try {
      // In memory, read and write through the implementer API as single writes do (see #direct).
      const direct = this.#sizes !== undefined ? unhooked(this.#direct) : undefined;
      const mapped = direct?.prefixKey(fullKey, 'view', true);
      let current: Uint8Array | undefined;
      try {
        current = direct
          ? direct._getSync(mapped!, VIEW)
          : ((await this.#db.get(fullKey, VIEW)) as Uint8Array | undefined);
      } catch (error) {
        throw new BackendError('get', error);
      }
      const { next, result } = update(current);
      // `null` means: leave the key as it is.
      if (next === null) return { result, storedBytes: state.stored };
      const previousSize = current === undefined ? 0 : key.length + current.length;
      const nextSize = next === undefined ? 0 : key.length + next.length;
      const delta = nextSize - previousSize;
      checkQuota(namespace, state.stored, delta, limits);
      state.stored += delta;
      try {
        if (direct) {
          await (next === undefined
            ? direct._del(mapped!, this.#writeOptions)
            : direct._put(mapped!, next, this.#writeOptions));
        } else if (next === undefined) await this.#db.del(fullKey, this.#writeOptions);
        else await this.#db.put(fullKey, next, this.#writeOptions);
      } catch (error) {
        state.stored -= delta;
        throw new BackendError('put', error);
      }
      this.#sizes?.set(hash, fullKey, next?.length);
      return { result, storedBytes: state.stored };
    } finally {
      this.#locks.release(stripe);
    }
  }

  async increment(namespace: string, key: Uint8Array, delta: bigint, limits: WriteLimits): Promise<IncrementResult> {
    const { result, storedBytes } = await this.#readModifyWrite(namespace, key, limits, (current) => {
      const value = addToCounter(key, current, delta);
      const next = formatCounter(value);
      return { next, result: { value, bytesWritten: key.length + next.length } };
    });
    return { ...result, storedBytes };
  }

  async compareAndSwap(
    namespace: string,
    key: Uint8Array,
    expected: Uint8Array | undefined,
    next: Uint8Array | undefined,
    limits: WriteLimits,
  ): Promise<CompareAndSwapResult> {
    const { result, storedBytes } = await this.#readModifyWrite(namespace, key, limits, (current) =>
      equalBytes(current, expected)
        ? { next, result: { swapped: true, current } }
        : { next: null, result: { swapped: false, current } },
    );
    return { ...result, storedBytes };
  }

  async range(namespace: string, options: RangeOptions): Promise<Entry[]> {
    const state = this.#namespace(namespace);
    const bounds: Record<string, Uint8Array> = {};
    if (options.gt) bounds.gt = concatBytes(state.prefix, options.gt);
    else if (options.gte) bounds.gte = concatBytes(state.prefix, options.gte);
    else bounds.gte = state.prefix;
    if (options.lt) bounds.lt = concatBytes(state.prefix, options.lt);
    else if (options.lte) bounds.lte = concatBytes(state.prefix, options.lte);
    else bounds.lt = state.upperBound;
    const skip = state.prefix.length;
    const query = { ...VIEW, ...bounds, limit: options.limit, reverse: options.reverse === true };
    try {
      if (options.values === false) {
        // Key listings read keys only: no value copies, no entry tuples from the store.
        const keys = (await this.#db.keys(query).all()) as Uint8Array[];
        const empty = new Uint8Array(0);
        return keys.map((key) => [key.subarray(skip), empty] as const);
      }
      const entries = (await this.#db.iterator(query).all()) as [Uint8Array, Uint8Array][];
      return entries.map(([key, value]) => [key.subarray(skip), value] as const);
    } catch (error) {
      throw new BackendError('range', error);
    }
  }

  async storedBytes(namespace: string): Promise<number> {
    const state = this.#namespace(namespace);
    await loadStoredBytes(this.#db, state, this.#sizes);
    return state.stored;
  }
}

function wrap(operation: string): (error: unknown) => never {
  return (error) => {
    throw new BackendError(operation, error);
  };
}
