import type { Pool, PoolClient, PoolConfig, QueryResult } from 'pg';
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
import { equalBytes } from '../bytes.js';
import { addToCounter, formatCounter } from '../counter.js';
import { BackendError, QuotaExceededError } from '../errors.js';
import { checkQuota, sizeOf } from '../quota.js';
import { bytes, namespaceColumn, view } from './bytea.js';
import { PostgresConnection, type Query } from './connection.js';
import { type RetryOptions, resolveRetry } from './retry.js';
import { checkSchema, checkTablePrefix, Statements } from './sql.js';

/** Options of {@link PostgresBackend}: where the database is (at most one of `pool`, `connectionString`, `connection`). */
export interface PostgresBackendOptions {
  /** A pg `Pool` you own: the backend borrows clients and never ends it. */
  pool?: Pool;
  /** `postgres://user:password@host:port/database` (also CockroachDB and YugabyteDB URLs). */
  connectionString?: string;
  /** pg's pool configuration (host, port, user, password, database, ssl, …). */
  connection?: PoolConfig;
  /** Connections in the pool the backend creates (default 10). Ignored with `pool`. */
  poolSize?: number;
  /** Schema that holds MuDB's tables (default `"mudb"`); one schema per test run isolates runs. */
  schema?: string;
  /** Prefix of the two table names (default none): `<prefix>namespaces`, `<prefix>entries`. */
  tablePrefix?: string;
  /** Create the schema and tables on open when missing (default true). Turn off when a migration does it. */
  createSchema?: boolean;
  /** Most operations in one atomic write (default 10,000). */
  maxBatchSize?: number;
  /** Retries of transactions that failed on a serialization failure (40001) or a deadlock (40P01). */
  retry?: RetryOptions;
}

/** Race codes of concurrent `CREATE … IF NOT EXISTS` on PostgreSQL (catalog unique index, duplicate object). */
const DDL_RACE = new Set(['23505', '42P06', '42P07', '42710']);
const BEGIN = 'BEGIN ISOLATION LEVEL READ COMMITTED';
const EMPTY = new Uint8Array(0);

/**
 * A {@link MuBackend} over PostgreSQL through node-postgres (`pg`), shared by any number of processes and
 * nodes: CockroachDB and YugabyteDB work too, since it uses only SQL all three support.
 *
 * Layout: one row per key in `<schema>.<prefix>entries (ns, key, value)` (all `bytea`, primary key
 * `(ns, key)`, so keys sort bytewise and range and prefix scans read the index), and one row per namespace
 * in `<schema>.<prefix>namespaces (ns, stored_bytes)`.
 *
 * Every write is one transaction that first locks its namespace's row (an upsert that creates it on first
 * use), then adds the difference between the new bytes and the old bytes of the keys it touches to
 * `stored_bytes` with a guarded update (a CHECK constraint refuses a figure over the quota), then writes and
 * commits; so the stored-bytes figure is exact and the quota holds across processes. Increment and
 * compare-and-swap read the current value under the same lock, which makes them linearizable across
 * processes (`supports.atomics === 'global'`). Writes to one namespace are therefore serialized by the
 * database; writes to different namespaces run in parallel. With pg's `pipeline` mode (on in the pool the
 * backend creates) a whole `set` or batch goes out in one round trip, an increment or compare-and-swap in two.
 *
 * @example
 * ```ts
 * import { openMuDB } from '@mu/mudb';
 * import { PostgresBackend } from '@mu/mudb/postgres';
 *
 * const backend = new PostgresBackend({ connectionString: 'postgres://mu@db.internal:5432/mu', poolSize: 20 });
 * const db = await openMuDB({ backend });
 * ```
 */
export class PostgresBackend implements MuBackend {
  readonly supports: BackendCapabilities;
  readonly #sql: Statements;
  readonly #createSchema: boolean;
  readonly #connection: PostgresConnection;

  /** @throws TypeError, RangeError on bad options (before any connection is made) */
  constructor(options: PostgresBackendOptions = {}) {
    if (options === null || typeof options !== 'object')
      throw new TypeError('PostgresBackend options must be an object');
    const sources = [options.pool, options.connectionString, options.connection].filter((value) => value !== undefined);
    if (sources.length > 1) throw new TypeError('Pass at most one of `pool`, `connectionString` and `connection`');
    if (options.pool !== undefined && (options.pool === null || typeof options.pool.connect !== 'function')) {
      throw new TypeError('pool must be a pg Pool');
    }
    if (options.connectionString !== undefined && typeof options.connectionString !== 'string') {
      throw new TypeError('connectionString must be a string');
    }
    if (options.connection !== undefined && (options.connection === null || typeof options.connection !== 'object')) {
      throw new TypeError('connection must be a pg PoolConfig object');
    }
    const poolSize = options.poolSize ?? 10;
    if (!Number.isInteger(poolSize) || poolSize < 1) {
      throw new RangeError(`poolSize must be a positive integer, got ${poolSize}`);
    }
    const maxBatchSize = options.maxBatchSize ?? 10_000;
    if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
      throw new RangeError(`maxBatchSize must be a positive integer, got ${maxBatchSize}`);
    }
    if (options.createSchema !== undefined && typeof options.createSchema !== 'boolean') {
      throw new TypeError('createSchema must be a boolean');
    }
    this.#sql = new Statements(checkSchema(options.schema ?? 'mudb'), checkTablePrefix(options.tablePrefix ?? ''));
    const retry = resolveRetry(options.retry);
    this.#createSchema = options.createSchema ?? true;
    if (options.pool !== undefined) {
      this.#connection = new PostgresConnection({ pool: options.pool }, retry);
    } else {
      const base: PoolConfig =
        options.connectionString !== undefined
          ? { connectionString: options.connectionString }
          : { ...(options.connection ?? {}) };
      // Pipelining sends a transaction's statements together: one round trip per set or batch.
      const config = { connectionTimeoutMillis: 10_000, ...base, max: poolSize, pipeline: true };
      this.#connection = new PostgresConnection({ config }, retry);
    }
    this.supports = Object.freeze({
      sharedAcrossProcesses: true,
      atomics: 'global',
      permanence: true,
      getSync: false,
      maxBatchSize,
    });
  }

  /** The pg pool in use (undefined before `open` when the backend creates its own). */
  get pool(): Pool | undefined {
    return this.#connection.pool;
  }

  /** The schema-qualified, quoted names of the two tables, e.g. for a migration or a cleanup. */
  get tables(): { readonly namespaces: string; readonly entries: string } {
    return { namespaces: this.#sql.namespaces, entries: this.#sql.entries };
  }

  /**
   * Connects (checking the database can be reached) and creates the schema and tables when missing.
   * @throws BackendError when PostgreSQL cannot be reached or the schema cannot be created
   */
  async open(): Promise<void> {
    await this.#connection.open(async (client) => {
      if (!this.#createSchema) return;
      try {
        await this.#createTables(client);
      } catch (error) {
        throw new BackendError(`open (creating the tables ${this.#sql.namespaces} and ${this.#sql.entries})`, error);
      }
    });
  }

  /** Ends the pool the backend created; a pool passed in `options.pool` is left to its owner. */
  close(): Promise<void> {
    return this.#connection.close();
  }

  async get(namespace: string, key: Uint8Array): Promise<Uint8Array | undefined> {
    const result = await this.#connection.query<{ value: Buffer }>('get', this.#sql.get, [
      namespaceColumn(namespace),
      bytes(key),
    ]);
    const row = result.rows[0];
    return row === undefined ? undefined : view(row.value);
  }

  async getMany(namespace: string, keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    if (keys.length === 0) return [];
    const buffers = keys.map(bytes);
    const result = await this.#connection.query<{ key: Buffer; value: Buffer }>('getMany', this.#sql.getMany, [
      namespaceColumn(namespace),
      buffers,
    ]);
    const found = new Map<string, Uint8Array>();
    for (const row of result.rows) found.set(row.key.toString('latin1'), view(row.value));
    return buffers.map((key) => found.get(key.toString('latin1')));
  }

  async has(namespace: string, key: Uint8Array): Promise<boolean> {
    const result = await this.#connection.query('has', this.#sql.has, [namespaceColumn(namespace), bytes(key)]);
    return result.rows.length > 0;
  }

  write(namespace: string, operations: readonly WriteOperation[], limits: WriteLimits): Promise<number> {
    // The last operation on a key wins, as in a level batch; the SQL sees each key once.
    const last = new Map<string, WriteOperation>();
    for (const operation of operations) last.set(bytes(operation.key).toString('latin1'), operation);
    const distinct = [...last.values()];
    const ns = namespaceColumn(namespace);
    let newBytes = 0;
    for (const operation of distinct) newBytes += sizeOf(operation);
    const single = distinct.length === 1;
    const keys = single ? bytes(distinct[0]!.key) : distinct.map((operation) => bytes(operation.key));
    const charge: Query = [single ? this.#sql.chargeOne : this.#sql.chargeMany, [ns, keys, newBytes, cap(limits)]];
    // The whole transaction goes out at once: lock, guarded charge (which reads the old sizes), writes, COMMIT.
    const queries: Query[] = [[BEGIN], [this.#sql.lockNamespace, [ns]], charge];
    const puts = distinct.filter((operation) => operation.value !== undefined);
    const deletes = distinct.filter((operation) => operation.value === undefined);
    if (puts.length === 1) {
      queries.push([this.#sql.put, [ns, bytes(puts[0]!.key), bytes(puts[0]!.value!)]]);
    } else if (puts.length > 1) {
      queries.push([
        this.#sql.putMany,
        [ns, puts.map((operation) => bytes(operation.key)), puts.map((operation) => bytes(operation.value!))],
      ]);
    }
    if (deletes.length === 1) queries.push([this.#sql.delete, [ns, bytes(deletes[0]!.key)]]);
    else if (deletes.length > 1) {
      queries.push([this.#sql.deleteMany, [ns, deletes.map((operation) => bytes(operation.key))]]);
    }
    queries.push(['COMMIT']);
    return this.#connection.transaction('write', async (client) => {
      try {
        const results = await this.#connection.run(client, queries);
        return Number((results[2]!.rows[0] as { stored_bytes: string }).stored_bytes);
      } catch (error) {
        if (!this.#isQuotaViolation(error)) throw error;
        // Refused, and rolled back. Read the figures again, only to say by how much.
        await client.query('ROLLBACK');
        const figures = await this.#connection.run(client, [
          [single ? this.#sql.deltaOne : this.#sql.deltaMany, [ns, keys, newBytes]],
        ]);
        const row = figures[0]!.rows[0] as { stored: string | null; delta: string };
        throw new QuotaExceededError(namespace, Number(row.stored ?? 0), Number(row.delta), limits.maxStoredBytes);
      }
    });
  }

  increment(namespace: string, key: Uint8Array, delta: bigint, limits: WriteLimits): Promise<IncrementResult> {
    const ns = namespaceColumn(namespace);
    const keyBuffer = bytes(key);
    return this.#connection.transaction('increment', async (client) => {
      const [stored, old] = await this.#lock(client, ns, [this.#sql.oldValue, [ns, keyBuffer]]);
      const current = (old.rows[0] as { value: Buffer } | undefined)?.value;
      const value = addToCounter(key, current, delta);
      const next = formatCounter(value);
      const sizeDelta = key.length + next.length - (current === undefined ? 0 : key.length + current.length);
      checkQuota(namespace, stored, sizeDelta, limits);
      await this.#commit(client, namespace, stored, [[this.#sql.put, [ns, keyBuffer, bytes(next)]]], sizeDelta, limits);
      return { value, bytesWritten: key.length + next.length, storedBytes: stored + sizeDelta };
    });
  }

  compareAndSwap(
    namespace: string,
    key: Uint8Array,
    expected: Uint8Array | undefined,
    next: Uint8Array | undefined,
    limits: WriteLimits,
  ): Promise<CompareAndSwapResult> {
    const ns = namespaceColumn(namespace);
    const keyBuffer = bytes(key);
    return this.#connection.transaction('compareAndSwap', async (client) => {
      const [stored, old] = await this.#lock(client, ns, [this.#sql.oldValue, [ns, keyBuffer]]);
      const row = old.rows[0] as { value: Buffer } | undefined;
      const current = row === undefined ? undefined : view(row.value);
      if (!equalBytes(current, expected)) {
        await this.#connection.run(client, [['ROLLBACK']]);
        return { swapped: false, current, storedBytes: stored };
      }
      const previousSize = current === undefined ? 0 : key.length + current.length;
      const sizeDelta = (next === undefined ? 0 : key.length + next.length) - previousSize;
      checkQuota(namespace, stored, sizeDelta, limits);
      const queries: Query[] = [];
      if (next !== undefined) queries.push([this.#sql.put, [ns, keyBuffer, bytes(next)]]);
      else if (current !== undefined) queries.push([this.#sql.delete, [ns, keyBuffer]]);
      await this.#commit(client, namespace, stored, queries, sizeDelta, limits);
      return { swapped: true, current, storedBytes: stored + sizeDelta };
    });
  }

  async range(namespace: string, options: RangeOptions): Promise<Entry[]> {
    const values: unknown[] = [namespaceColumn(namespace)];
    const lower = options.gt !== undefined ? 'gt' : options.gte !== undefined ? 'gte' : undefined;
    const upper = options.lt !== undefined ? 'lt' : options.lte !== undefined ? 'lte' : undefined;
    if (lower !== undefined) values.push(bytes((options.gt ?? options.gte)!));
    if (upper !== undefined) values.push(bytes((options.lt ?? options.lte)!));
    values.push(options.limit);
    const withValues = options.values !== false;
    const statement = this.#sql.range({ lower, upper, reverse: options.reverse === true, values: withValues });
    const result = await this.#connection.query<{ key: Buffer; value?: Buffer }>('range', statement, values);
    return result.rows.map((row) => [view(row.key), withValues ? view(row.value!) : EMPTY] as const);
  }

  async storedBytes(namespace: string): Promise<number> {
    const result = await this.#connection.query<{ stored_bytes: string }>('storedBytes', this.#sql.storedBytes, [
      namespaceColumn(namespace),
    ]);
    const row = result.rows[0];
    return row === undefined ? 0 : Number(row.stored_bytes);
  }

  /**
   * Begins a transaction, locks the namespace's row (creating it on first use) and runs `read` after the
   * lock is held, pipelined. Under READ COMMITTED each statement reads a fresh snapshot, so `read` sees
   * every write committed by the previous holder of the lock.
   * @returns the namespace's stored bytes and what `read` returned
   */
  async #lock(client: PoolClient, ns: Buffer, read: Query): Promise<[number, QueryResult]> {
    const [, locked, result] = await this.#connection.run(client, [[BEGIN], [this.#sql.lockNamespace, [ns]], read]);
    return [Number((locked!.rows[0] as { stored_bytes: string }).stored_bytes), result!];
  }

  /**
   * Runs the writes, the guarded stored-bytes update and COMMIT, pipelined. The quota was checked against
   * the locked row already; the guard makes the database refuse an over-quota figure all the same, so the
   * quota never rests on this process alone.
   */
  async #commit(
    client: PoolClient,
    namespace: string,
    stored: number,
    writes: Query[],
    delta: number,
    limits: WriteLimits,
  ): Promise<void> {
    const queries = [...writes];
    if (delta !== 0) queries.push([this.#sql.addStoredBytes, [namespaceColumn(namespace), delta, cap(limits)]]);
    queries.push(['COMMIT']);
    try {
      await this.#connection.run(client, queries);
    } catch (error) {
      if (this.#isQuotaViolation(error)) throw new QuotaExceededError(namespace, stored, delta, limits.maxStoredBytes);
      throw error;
    }
  }

  /**
   * Whether the database refused a stored-bytes figure over the quota: a CHECK violation (23514). The quota
   * CHECK is the only one on these tables; PostgreSQL names it in `constraint`, and an engine that leaves the
   * field out is believed all the same.
   */
  #isQuotaViolation(error: unknown): boolean {
    const pgError = error as { code?: unknown; constraint?: unknown } | null;
    return (
      pgError?.code === '23514' &&
      (pgError.constraint === undefined || pgError.constraint === this.#sql.quotaConstraint)
    );
  }

  /** Creates the schema and tables; concurrent creators (several processes starting together) are tolerated. */
  async #createTables(client: PoolClient): Promise<void> {
    for (const statement of this.#sql.ddl) {
      for (let attempt = 1; ; attempt++) {
        try {
          await client.query(statement);
          break;
        } catch (error) {
          // Two sessions racing through CREATE … IF NOT EXISTS: one of them fails on the catalog's unique
          // index. Running the statement again sees the other's object and does nothing.
          if (attempt >= 5 || !DDL_RACE.has(String((error as { code?: unknown }).code))) throw error;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
        }
      }
    }
  }
}

/**
 * Creates a {@link PostgresBackend}: `createPostgresBackend(url)` or `createPostgresBackend({ … })`.
 *
 * @example
 * ```ts
 * const db = await openMuDB({ backend: createPostgresBackend('postgres://postgres@127.0.0.1:5432/mu') });
 * ```
 */
export function createPostgresBackend(options: string | PostgresBackendOptions = {}): PostgresBackend {
  return new PostgresBackend(typeof options === 'string' ? { connectionString: options } : options);
}

/** The quota as a SQL parameter: NULL when there is none (or none a bigint could tell from none). */
function cap(limits: WriteLimits): number | null {
  return limits.maxStoredBytes > Number.MAX_SAFE_INTEGER ? null : limits.maxStoredBytes;
}
