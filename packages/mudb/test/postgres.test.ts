import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runMuDBConformance } from '../src/conformance.js';
import { type MuDBError, openMuDB } from '../src/index.js';
import { createPostgresBackend, PostgresBackend } from '../src/postgres/index.js';
import { isRetryable, withRetry } from '../src/postgres/retry.js';
import {
  dropSchemas,
  freshSchema,
  postgresUnavailable,
  postgresUrl,
  requirePostgres,
} from './fixtures/postgres-env.js';

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) {
  if (requirePostgres) {
    describe('PostgreSQL backend', () => {
      it('reaches PostgreSQL (MU_REQUIRE_PG=1)', () => {
        throw new Error(unavailable);
      });
    });
  } else {
    console.warn(`Skipping the PostgreSQL backend tests: ${unavailable}. Set MU_PG_URL to point at one.`);
  }
}

const schemas: string[] = [];
const schema = (label: string) => {
  const name = freshSchema(label);
  schemas.push(name);
  return name;
};
afterAll(async () => {
  if (unavailable === undefined) await dropSchemas(schemas);
});

describe.skipIf(unavailable !== undefined)('PostgreSQL backend', () => {
  const conformanceSchema = schema('conformance');
  runMuDBConformance('postgres (own pipelined pool)', {
    createBackend: () => new PostgresBackend({ connectionString: postgresUrl, schema: conformanceSchema, poolSize: 8 }),
  });

  // A pool the caller owns, without pipelining, and a table prefix instead of a schema of its own.
  const ownPools: pg.Pool[] = [];
  const prefixSchema = schema('prefix');
  afterAll(async () => {
    await Promise.all(ownPools.map((pool) => pool.end()));
  });
  runMuDBConformance('postgres (caller pool, no pipelining, table prefix)', {
    createBackend: () => {
      const pool = new pg.Pool({ connectionString: postgresUrl, max: 4 });
      ownPools.push(pool);
      return new PostgresBackend({ pool, schema: prefixSchema, tablePrefix: 'app_' });
    },
  });

  it('declares a shared, permanent store with global atomics', () => {
    expect(new PostgresBackend({ connectionString: postgresUrl }).supports).toEqual({
      sharedAcrossProcesses: true,
      atomics: 'global',
      permanence: true,
      getSync: false,
      maxBatchSize: 10_000,
    });
  });

  it('creates its schema on first use, and a second backend (another pool) sees the same data', async () => {
    const shared = schema('shared');
    const first = await openMuDB({ backend: createPostgresBackend({ connectionString: postgresUrl, schema: shared }) });
    const second = await openMuDB({
      backend: createPostgresBackend({ connectionString: postgresUrl, schema: shared }),
    });
    try {
      await first.namespace('job').bucket().set('k', 'from first');
      expect(new TextDecoder().decode(await second.namespace('job').bucket().get('k'))).toBe('from first');
      expect(await second.namespace('job').bucket().increment('n', 5n)).toBe(5n);
      expect(await first.namespace('job').bucket().increment('n')).toBe(6n);
      expect(await second.namespace('job').storedBytes()).toBe(await first.namespace('job').storedBytes());
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('lets many backends create the same schema at once (CREATE … IF NOT EXISTS races are retried)', async () => {
    const racing = schema('race');
    const backends = Array.from(
      { length: 6 },
      () => new PostgresBackend({ connectionString: postgresUrl, schema: racing, poolSize: 1 }),
    );
    try {
      await Promise.all(backends.map((backend) => backend.open()));
      const db = await openMuDB({ backend: backends[0]! });
      await db.namespace('n').bucket().set('k', 'v');
      expect(await backends[5]!.has('n', (await backends[5]!.range('n', { limit: 1 }))[0]![0])).toBe(true);
    } finally {
      await Promise.all(backends.map((backend) => backend.close()));
    }
  });

  it('keeps stored bytes equal to the bytes of the rows, through sets, overwrites, batches and deletes', async () => {
    const name = schema('stored');
    const backend = new PostgresBackend({ connectionString: postgresUrl, schema: name });
    const db = await openMuDB({ backend });
    try {
      const namespace = db.namespace('acct');
      const bucket = namespace.bucket('b');
      await bucket.setMany(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'.repeat(i)] as const));
      await bucket.set('k1', 'a much longer value than before');
      await bucket.deleteMany(['k2', 'k3', 'missing']);
      await bucket.batch([
        { type: 'set', key: 'k4', value: 'x' },
        { type: 'set', key: 'k4', value: 'last wins' },
        { type: 'delete', key: 'k5' },
      ]);
      await bucket.increment('count', 123_456_789n);
      await bucket.compareAndSwap('k6', 'vvvvvv', undefined);
      const rows = await backend.pool!.query(
        `SELECT sum(octet_length(key) + octet_length(value))::bigint AS total FROM ${backend.tables.entries}
         WHERE ns = $1`,
        [Buffer.from('acct')],
      );
      expect(await namespace.storedBytes()).toBe(Number(rows.rows[0].total));
      expect(new TextDecoder().decode(await bucket.get('k4'))).toBe('last wins');
      expect(await bucket.exists('k6')).toBe(false);
    } finally {
      await db.close();
    }
  });

  it('writes a batch of maxBatchSize entries in one transaction and pages through them in key order', async () => {
    const db = await openMuDB({
      backend: new PostgresBackend({ connectionString: postgresUrl, schema: schema('batch') }),
    });
    try {
      const bucket = db.namespace('big').bucket();
      const entries = Array.from({ length: 10_000 }, (_, i) => [`k${String(i).padStart(5, '0')}`, `v${i}`] as const);
      await bucket.setMany(entries);
      const page = await bucket.range({ gte: 'k09990', limit: 100 });
      expect(page.map(([key]) => key)).toEqual(entries.slice(9990).map(([key]) => key));
      const expected = entries.reduce((sum, [key, value]) => sum + 1 + 'default'.length + key.length + value.length, 0);
      expect(await db.namespace('big').storedBytes()).toBe(expected);
      await expect(bucket.setMany([...entries, ['one-more', 'x']])).rejects.toMatchObject({
        code: 'MUDB_BATCH_TOO_LARGE',
      });
    } finally {
      await db.close();
    }
  });

  it("reports a key over PostgreSQL's B-tree entry limit as BackendError (SQLSTATE 54000) and writes nothing", async () => {
    const db = await openMuDB({
      backend: new PostgresBackend({ connectionString: postgresUrl, schema: schema('longkey') }),
    });
    try {
      const namespace = db.namespace('n', { quota: { maxKeyBytes: 8000 } });
      // Incompressible, so PostgreSQL cannot squeeze the index entry under its 2,704-byte limit.
      const key = randomBytes(2250).toString('base64');
      const error = await namespace
        .bucket()
        .set(key, 'v')
        .catch((caught: MuDBError) => caught);
      expect(error).toMatchObject({ code: 'MUDB_BACKEND' });
      expect(((error as MuDBError).cause as { code: string }).code).toBe('54000');
      expect(await namespace.storedBytes()).toBe(0);
      await namespace.bucket().set('x'.repeat(2000), 'fits');
    } finally {
      await db.close();
    }
  });

  it("returns values that own their memory, so no bytes of another namespace's reads sit behind them", async () => {
    const db = await openMuDB({
      backend: new PostgresBackend({ connectionString: postgresUrl, schema: schema('memory') }),
    });
    try {
      await db.namespace('secret').bucket().set('k', 'other tenant data');
      await db.namespace('mine').bucket().set('k', 'mine');
      await db.namespace('secret').bucket().get('k');
      const value = (await db.namespace('mine').bucket().get('k'))!;
      expect(value.buffer.byteLength).toBe(4);
      const [[, ranged]] = (await db.namespace('mine').bucket().range()) as [[string, Uint8Array]];
      expect(ranged.buffer.byteLength).toBe(4);
    } finally {
      await db.close();
    }
  });

  it('fails with a clear MUDB_BACKEND error, the pg error as cause, when PostgreSQL cannot be reached', async () => {
    const port = await closedPort();
    const backend = new PostgresBackend({ connectionString: `postgres://postgres@127.0.0.1:${port}/test` });
    const error = await openMuDB({ backend }).catch((caught: MuDBError) => caught);
    expect(error).toMatchObject({ name: 'BackendError', code: 'MUDB_BACKEND' });
    expect((error as MuDBError).message).toContain(`cannot connect to PostgreSQL at 127.0.0.1:${port}/test`);
    expect(((error as MuDBError).cause as { code?: string }).code).toBe('ECONNREFUSED');
    await backend.close();
  });

  it('wraps SQL errors in BackendError with the pg error as cause', async () => {
    const backend = new PostgresBackend({
      connectionString: postgresUrl,
      schema: 'mudb_never_created',
      createSchema: false,
    });
    const db = await openMuDB({ backend });
    try {
      const error = await db
        .namespace('n')
        .bucket()
        .get('k')
        .catch((caught: MuDBError) => caught);
      expect(error).toMatchObject({ code: 'MUDB_BACKEND' });
      expect((error as MuDBError).cause).toBeInstanceOf(pg.DatabaseError);
      expect(((error as MuDBError).cause as { code: string }).code).toBe('42P01'); // undefined_table
    } finally {
      await db.close();
    }
  });

  it('refuses bad options with TypeError or RangeError before connecting', () => {
    expect(() => new PostgresBackend({ schema: 'Bad-Name' })).toThrow(RangeError);
    expect(() => new PostgresBackend({ schema: 'x'.repeat(64) })).toThrow(RangeError);
    expect(() => new PostgresBackend({ tablePrefix: 'a"; drop' })).toThrow(RangeError);
    expect(() => new PostgresBackend({ schema: 5 as unknown as string })).toThrow(TypeError);
    expect(() => new PostgresBackend({ poolSize: 0 })).toThrow(RangeError);
    expect(() => new PostgresBackend({ maxBatchSize: 1.5 })).toThrow(RangeError);
    expect(() => new PostgresBackend({ connectionString: postgresUrl, connection: {} })).toThrow(TypeError);
    expect(() => new PostgresBackend({ retry: { attempts: 0 } })).toThrow(RangeError);
  });

  it('reruns a transaction that PostgreSQL aborted with a serialization failure (40001)', async () => {
    const pool = new pg.Pool({ connectionString: postgresUrl, max: 3 });
    const table = `"${schema('retry')}".counter`;
    try {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${table.split('.')[0]}`);
      await pool.query(`CREATE TABLE ${table} (id int PRIMARY KEY, n int NOT NULL)`);
      await pool.query(`INSERT INTO ${table} VALUES (1, 0)`);
      const codes: string[] = [];
      let runs = 0;
      // Each run reads in REPEATABLE READ, lets another session commit an update, then updates: 40001 on the
      // first run, success on the second (the other session only interferes once).
      await withRetry(async () => {
        runs++;
        const client = await pool.connect();
        try {
          await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
          await client.query(`SELECT n FROM ${table} WHERE id = 1`);
          if (runs === 1) await pool.query(`UPDATE ${table} SET n = n + 100 WHERE id = 1`);
          await client.query(`UPDATE ${table} SET n = n + 1 WHERE id = 1`);
          await client.query('COMMIT');
        } catch (error) {
          codes.push((error as { code: string }).code);
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
      });
      expect(codes).toEqual(['40001']);
      expect(runs).toBe(2);
      expect((await pool.query(`SELECT n FROM ${table}`)).rows[0].n).toBe(101);
    } finally {
      await pool.end();
    }
  });
});

describe('retry policy', () => {
  it('retries serialization failures and deadlocks only, at most `attempts` times', async () => {
    expect(isRetryable({ code: '40001' })).toBe(true);
    expect(isRetryable({ code: '40P01' })).toBe(true);
    expect(isRetryable({ code: '40003' })).toBe(false);
    expect(isRetryable({ code: '23505' })).toBe(false);
    expect(isRetryable(new Error('socket hang up'))).toBe(false);
    let runs = 0;
    const failure = Object.assign(new Error('could not serialize access'), { code: '40001' });
    await expect(
      withRetry(
        async () => {
          runs++;
          throw failure;
        },
        { attempts: 4, baseDelayMs: 1, maxDelayMs: 2 },
      ),
    ).rejects.toBe(failure);
    expect(runs).toBe(4);
    runs = 0;
    await expect(
      withRetry(async () => {
        runs++;
        throw Object.assign(new Error('unique'), { code: '23505' });
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(runs).toBe(1);
  });
});

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
