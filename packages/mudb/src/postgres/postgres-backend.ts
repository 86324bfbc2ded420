import type { Pool, PoolClient, PoolConfig, QueryResult, QueryResultRow } from 'pg';
import pg from 'pg';
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
import { equalBytes, formatCounter, fromUtf8, INT64_MAX, INT64_MIN, parseCounter } from '../bytes.js';
import { BackendError, CounterOverflowError, MuDBError, NotACounterError, QuotaExceededError } from '../errors.js';
import { type RetryOptions, resolveRetry, withRetry } from './retry.js';
import { checkSchema, checkTablePrefix, type Statement, Statements } from './sql.js';

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

type Query = readonly [statement: Statement | string, values?: readonly unknown[]];

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
  readonly #ownPool: boolean;
  readonly #poolConfig: PoolConfig | undefined;
  readonly #createSchema: boolean;
  readonly #retry: Required<RetryOptions>;
  readonly #target: string;
  #pool: Pool | undefined;

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
    this.#retry = resolveRetry(options.retry);
    this.#createSchema = options.createSchema ?? true;
    this.#ownPool = options.pool === undefined;
    if (options.pool !== undefined) {
      this.#pool = options.pool;
      this.#target = describeTarget((options.pool as unknown as { options?: PoolConfig }).options ?? {});
    } else {
      const base: PoolConfig =
        options.connectionString !== undefined
          ? { connectionString: options.connectionString }
          : { ...(options.connection ?? {}) };
      // Pipelining sends a transaction's statements together: one round trip per set or batch.
      this.#poolConfig = { connectionTimeoutMillis: 10_000, ...base, max: poolSize, pipeline: true };
      this.#target = describeTarget(this.#poolConfig);
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
    return this.#pool;
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
    if (this.#pool === undefined) {
      const pool = new pg.Pool(this.#poolConfig);
      // An idle client whose server went away emits 'error' on the pool; pg drops that client, and the next
      // operation reports the problem. Without a listener the process would crash.
      pool.on('error', () => {});
      this.#pool = pool;
    }
    try {
      const client = await this.#connect('open');
      try {
        if (this.#createSchema) await this.#createTables(client);
      } catch (error) {
        throw new BackendError(`open (creating the tables ${this.#sql.namespaces} and ${this.#sql.entries})`, error);
      } finally {
        client.release();
      }
    } catch (error) {
      // A failed open leaves nothing behind: the pool this backend created is ended.
      await this.close().catch(() => {});
      throw error;
    }
  }

  /** Ends the pool the backend created; a pool passed in `options.pool` is left to its owner. */
  async close(): Promise<void> {
    const pool = this.#pool;
    if (pool === undefined || !this.#ownPool) return;
    this.#pool = undefined;
    try {
      await pool.end();
    } catch (error) {
      throw new BackendError('close', error);
    }
  }

  async get(namespace: string, key: Uint8Array): Promise<Uint8Array | undefined> {
    const result = await this.#query<{ value: Buffer }>('get', this.#sql.get, [namespaceColumn(namespace), bytes(key)]);
    const row = result.rows[0];
    return row === undefined ? undefined : view(row.value);
  }

  async getMany(namespace: string, keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    if (keys.length === 0) return [];
    const buffers = keys.map(bytes);
    const result = await this.#query<{ key: Buffer; value: Buffer }>('getMany', this.#sql.getMany, [
      namespaceColumn(namespace),
      buffers,
    ]);
    const found = new Map<string, Uint8Array>();
    for (const row of result.rows) found.set(row.key.toString('latin1'), view(row.value));
    return buffers.map((key) => found.get(key.toString('latin1')));
  }

  async has(namespace: string, key: Uint8Array): Promise<boolean> {
    const result = await this.#query('has', this.#sql.has, [namespaceColumn(namespace), bytes(key)]);
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
    return this.#transaction('write', async (client) => {
      try {
        const results = await this.#run(client, queries);
        return Number((results[2]!.rows[0] as { stored_bytes: string }).stored_bytes);
      } catch (error) {
        if (!this.#isQuotaViolation(error)) throw error;
        // Refused, and rolled back. Read the figures again, only to say by how much.
        await client.query('ROLLBACK');
        const figures = await this.#run(client, [
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
    return this.#transaction('increment', async (client) => {
      const [stored, old] = await this.#lock(client, ns, [this.#sql.oldValue, [ns, keyBuffer]]);
      const current = (old.rows[0] as { value: Buffer } | undefined)?.value;
      const base = current === undefined ? 0n : parseCounter(current);
      if (base === undefined) throw new NotACounterError(readableKey(key));
      const value = base + delta;
      if (value < INT64_MIN || value > INT64_MAX) throw new CounterOverflowError(readableKey(key));
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
    return this.#transaction('compareAndSwap', async (client) => {
      const [stored, old] = await this.#lock(client, ns, [this.#sql.oldValue, [ns, keyBuffer]]);
      const row = old.rows[0] as { value: Buffer } | undefined;
      const current = row === undefined ? undefined : view(row.value);
      if (!equalBytes(current, expected)) {
        await this.#run(client, [['ROLLBACK']]);
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
    const result = await this.#query<{ key: Buffer; value?: Buffer }>('range', statement, values);
    return result.rows.map((row) => [view(row.key), withValues ? view(row.value!) : EMPTY] as const);
  }

  async storedBytes(namespace: string): Promise<number> {
    const result = await this.#query<{ stored_bytes: string }>('storedBytes', this.#sql.storedBytes, [
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
    const [, locked, result] = await this.#run(client, [[BEGIN], [this.#sql.lockNamespace, [ns]], read]);
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
      await this.#run(client, queries);
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

  /**
   * Sends `queries` on one client: all at once when the client pipelines (results arrive in order), else
   * one after another. Rejects with the first failure; the statements after it fail too (the transaction
   * is aborted), and their errors are not the cause.
   */
  async #run(client: PoolClient, queries: readonly Query[]): Promise<QueryResult[]> {
    const submit = ([statement, values]: Query) =>
      typeof statement === 'string'
        ? client.query(statement)
        : client.query({ name: statement.name, text: statement.text, values: values as unknown[] });
    if ((client as { pipeline?: boolean }).pipeline === true) {
      const settled = await Promise.allSettled(queries.map(submit));
      const results: QueryResult[] = [];
      for (const outcome of settled) {
        if (outcome.status === 'rejected') throw outcome.reason;
        results.push(outcome.value);
      }
      return results;
    }
    const results: QueryResult[] = [];
    for (const query of queries) results.push(await submit(query));
    return results;
  }

  /** A one-statement read outside any transaction. */
  async #query<Row extends QueryResultRow = QueryResultRow>(
    operation: string,
    statement: Statement,
    values: unknown[],
  ): Promise<QueryResult<Row>> {
    const client = await this.#connect(operation);
    let broken: Error | undefined;
    try {
      return await client.query<Row>({ name: statement.name, text: statement.text, values });
    } catch (error) {
      if (isConnectionLoss(error)) broken = error as Error;
      throw new BackendError(operation, error);
    } finally {
      client.release(broken);
    }
  }

  /**
   * Runs `body` (which begins and commits its own transaction) on one client, rolling back on any failure
   * and running it again after serialization failures and deadlocks.
   */
  #transaction<T>(operation: string, body: (client: PoolClient) => Promise<T>): Promise<T> {
    return withRetry(async () => {
      const client = await this.#connect(operation);
      let broken: Error | undefined;
      try {
        return await body(client);
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError as Error;
        }
        throw error;
      } finally {
        client.release(broken);
      }
    }, this.#retry).catch((error: unknown) => {
      throw error instanceof MuDBError ? error : new BackendError(operation, error);
    });
  }

  async #connect(operation: string): Promise<PoolClient> {
    const pool = this.#pool;
    if (pool === undefined) throw new BackendError(operation, new Error('the PostgreSQL backend is not open'));
    try {
      return await pool.connect();
    } catch (error) {
      throw new BackendError(
        `${operation}: cannot connect to PostgreSQL at ${this.#target}; check that the server is running and that host, port, user, password and database are right`,
        error,
      );
    }
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

function checkQuota(namespace: string, stored: number, delta: number, limits: WriteLimits): void {
  if (delta > 0 && stored + delta > limits.maxStoredBytes) {
    throw new QuotaExceededError(namespace, stored, delta, limits.maxStoredBytes);
  }
}

/** The quota as a SQL parameter: NULL when there is none (or none a bigint could tell from none). */
function cap(limits: WriteLimits): number | null {
  return limits.maxStoredBytes > Number.MAX_SAFE_INTEGER ? null : limits.maxStoredBytes;
}

function sizeOf(operation: WriteOperation): number {
  return operation.value === undefined ? 0 : operation.key.length + operation.value.length;
}

/** The namespace's column value: its UTF-8 bytes (names may hold `\0`, which `text` cannot). */
function namespaceColumn(namespace: string): Buffer {
  return Buffer.from(namespace, 'utf8');
}

/** A Buffer over the same memory (pg sends Buffers as binary parameters and inside bytea arrays). */
function bytes(array: Uint8Array): Buffer {
  return Buffer.isBuffer(array) ? array : Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

/**
 * A plain Uint8Array of a Buffer pg returned (MuDB's values are Uint8Arrays, not Buffers). Small Buffers are
 * slices of Node's shared pool, whose `.buffer` would show the caller bytes of other reads (other
 * namespaces'), so those are copied; a Buffer that owns its memory is wrapped as it is.
 */
function view(buffer: Buffer): Uint8Array {
  return buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength
    ? new Uint8Array(buffer.buffer, 0, buffer.byteLength)
    : new Uint8Array(buffer);
}

function isConnectionLoss(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  // Class 08 is connection exceptions; pg's own socket errors carry Node's codes or none.
  return typeof code !== 'string' || code.startsWith('08') || code.startsWith('E') || code === '57P01';
}

/** host:port/database for messages, never the password. */
function describeTarget(config: PoolConfig): string {
  if (config.connectionString !== undefined) {
    try {
      const url = new URL(config.connectionString);
      return `${url.hostname || 'localhost'}:${url.port || 5432}${url.pathname}`;
    } catch {
      return '(unparsable connection string)';
    }
  }
  const host = config.host ?? process.env.PGHOST ?? 'localhost';
  const port = config.port ?? process.env.PGPORT ?? 5432;
  const database = config.database ?? process.env.PGDATABASE ?? config.user ?? process.env.PGUSER ?? '';
  return `${host}:${port}/${database}`;
}

/** A key for an error message: its text when it is UTF-8, else hex. */
function readableKey(key: Uint8Array): string {
  try {
    return fromUtf8(key);
  } catch {
    return bytes(key).toString('hex');
  }
}
