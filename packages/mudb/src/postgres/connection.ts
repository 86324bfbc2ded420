import type { Pool, PoolClient, PoolConfig, QueryResult, QueryResultRow } from 'pg';
import pg from 'pg';
import { BackendError, MuDBError } from '../errors.js';
import { type RetryOptions, withRetry } from './retry.js';
import type { Statement } from './sql.js';

/** One statement of a pipelined run: a prepared statement and its values, or plain SQL (`BEGIN`, `COMMIT`). */
export type Query = readonly [statement: Statement | string, values?: readonly unknown[]];

/** Where the pool comes from: one the caller owns (never ended here), or the config of one to create. */
export type PoolSource = { readonly pool: Pool } | { readonly config: PoolConfig };

/**
 * The PostgreSQL backend's connection handling: the pg pool (borrowed or owned), one-statement reads,
 * transactions with rollback and retries, pipelined runs of statements, and errors that name the server
 * (never the password).
 */
export class PostgresConnection {
  readonly #ownPool: boolean;
  readonly #poolConfig: PoolConfig | undefined;
  readonly #retry: Required<RetryOptions>;
  readonly #target: string;
  #pool: Pool | undefined;

  constructor(source: PoolSource, retry: Required<RetryOptions>) {
    this.#retry = retry;
    this.#ownPool = !('pool' in source);
    if ('pool' in source) {
      this.#pool = source.pool;
      this.#target = describeTarget((source.pool as unknown as { options?: PoolConfig }).options ?? {});
    } else {
      this.#poolConfig = source.config;
      this.#target = describeTarget(source.config);
    }
  }

  /** The pg pool in use (undefined before `open` when this connection creates its own). */
  get pool(): Pool | undefined {
    return this.#pool;
  }

  /**
   * Creates the pool when it is this connection's own, connects once (checking the database can be reached)
   * and runs `setup` on that client. A failed open leaves nothing behind: the pool created here is ended.
   * @throws BackendError when PostgreSQL cannot be reached; what `setup` throws
   */
  async open(setup: (client: PoolClient) => Promise<void>): Promise<void> {
    if (this.#pool === undefined) {
      const pool = new pg.Pool(this.#poolConfig);
      // An idle client whose server went away emits 'error' on the pool; pg drops that client, and the next
      // operation reports the problem. Without a listener the process would crash.
      pool.on('error', () => {});
      this.#pool = pool;
    }
    try {
      const client = await this.connect('open');
      try {
        await setup(client);
      } finally {
        client.release();
      }
    } catch (error) {
      await this.close().catch(() => {});
      throw error;
    }
  }

  /** Ends the pool this connection created; a pool passed in is left to its owner. */
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

  /**
   * Sends `queries` on one client: all at once when the client pipelines (results arrive in order), else
   * one after another. Rejects with the first failure; the statements after it fail too (the transaction
   * is aborted), and their errors are not the cause.
   */
  async run(client: PoolClient, queries: readonly Query[]): Promise<QueryResult[]> {
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
  async query<Row extends QueryResultRow = QueryResultRow>(
    operation: string,
    statement: Statement,
    values: unknown[],
  ): Promise<QueryResult<Row>> {
    const client = await this.connect(operation);
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
  transaction<T>(operation: string, body: (client: PoolClient) => Promise<T>): Promise<T> {
    return withRetry(async () => {
      const client = await this.connect(operation);
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

  /** Borrows a client from the pool. @throws BackendError naming the server when it cannot be reached */
  async connect(operation: string): Promise<PoolClient> {
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
}

/** Whether a failed statement means the client's connection is gone (so the client is not returned to the pool). */
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
