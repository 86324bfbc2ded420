/**
 * The SQL of the PostgreSQL backend, in one place so its portability can be reviewed at a glance.
 *
 * Portability (PostgreSQL 12+, CockroachDB 23.1+, YugabyteDB 2.18+, all over the PostgreSQL wire protocol):
 * only plain tables, a composite primary key, a CHECK constraint, `INSERT … AS t … ON CONFLICT … DO UPDATE
 * … RETURNING`, `UPDATE … FROM (subquery) … RETURNING`, `= ANY($n::bytea[])`, multi-argument `unnest`,
 * `octet_length`, `coalesce`/`sum`/`CASE`, `CREATE SCHEMA/TABLE IF NOT EXISTS`, and READ COMMITTED
 * (which CockroachDB and YugabyteDB may run as SERIALIZABLE or snapshot: conflicts then surface as 40001
 * and are retried). Deliberately avoided:
 * - advisory locks (`pg_advisory_xact_lock`): CockroachDB's were no-op stubs that took no lock (or were
 *   undefined) for years (cockroachdb/cockroach#13546), real transaction-level ones arrived only in 2026
 *   (#168353), and YugabyteDB has them only in recent releases; a row lock on the namespace row does the
 *   same job on every release of all three.
 * - data-modifying CTEs (`WITH … INSERT … UPDATE`), `RETURNING` of old values and the `xmax` trick:
 *   CockroachDB has no `xmax`, and CTE visibility rules differ between engines.
 * - PL/pgSQL functions, triggers and stored procedures: unsupported or partial outside PostgreSQL.
 * - `LISTEN/NOTIFY`, sequences, `SKIP LOCKED`, and server-side `SERIALIZABLE` assumptions: not needed.
 * - LIKE/text collations for prefix scans: keys are `bytea`, compared bytewise everywhere, and a prefix
 *   scan is a `>= prefix AND < successor(prefix)` range on the primary key.
 */

/** Identifier rules for the schema and the table prefix: lower-case, unquoted-safe, portable. */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const MAX_IDENTIFIER = 63;
const LONGEST_TABLE = 'namespaces'.length;

/** Validates a schema name. @throws TypeError, RangeError */
export function checkSchema(schema: unknown): string {
  if (typeof schema !== 'string') throw new TypeError('schema must be a string');
  if (!IDENTIFIER.test(schema) || schema.length > MAX_IDENTIFIER) {
    throw new RangeError(
      `schema must be a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most ${MAX_IDENTIFIER} characters), got "${schema}"`,
    );
  }
  return schema;
}

/** Validates a table prefix. @throws TypeError, RangeError */
export function checkTablePrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') throw new TypeError('tablePrefix must be a string');
  if (prefix !== '' && (!/^[a-z_][a-z0-9_]*$/.test(prefix) || prefix.length > MAX_IDENTIFIER - LONGEST_TABLE)) {
    throw new RangeError(
      `tablePrefix must be empty or a lower-case SQL identifier of at most ${MAX_IDENTIFIER - LONGEST_TABLE} characters, got "${prefix}"`,
    );
  }
  return prefix;
}

/** One statement, prepared once per connection under `name`. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

/** Which bounds a range query has, and in which order it reads. */
export interface RangeShape {
  readonly lower: 'gt' | 'gte' | undefined;
  readonly upper: 'lt' | 'lte' | undefined;
  readonly reverse: boolean;
  readonly values: boolean;
}

/**
 * The statements of one schema + table prefix. Statement names carry a short hash of the qualified table
 * names, so two backends with different schemas can share one pool without their prepared statements
 * colliding.
 */
export class Statements {
  readonly namespaces: string;
  readonly entries: string;
  readonly ddl: readonly string[];
  readonly get: Statement;
  readonly has: Statement;
  readonly getMany: Statement;
  readonly storedBytes: Statement;
  readonly lockNamespace: Statement;
  readonly chargeOne: Statement;
  readonly chargeMany: Statement;
  readonly deltaOne: Statement;
  readonly deltaMany: Statement;
  readonly oldValue: Statement;
  readonly put: Statement;
  readonly putMany: Statement;
  readonly delete: Statement;
  readonly deleteMany: Statement;
  readonly addStoredBytes: Statement;
  /** The quota CHECK constraint's name, as engines report it in a violation (SQLSTATE 23514). */
  readonly quotaConstraint: string;
  readonly #tag: string;
  readonly #ranges = new Map<string, Statement>();

  constructor(schema: string, prefix: string) {
    this.namespaces = `"${schema}"."${prefix}namespaces"`;
    this.entries = `"${schema}"."${prefix}entries"`;
    this.#tag = `mudb_${shortHash(`${schema}.${prefix}`)}`;
    this.quotaConstraint = `${prefix}namespaces_within_quota`;
    const quota = `"${this.quotaConstraint}"`;
    this.ddl = [
      `CREATE SCHEMA IF NOT EXISTS "${schema}"`,
      // stored_bytes is kept exactly by every write in the same transaction. The CHECK is the quota guard:
      // a write over the quota sets it to -1 (see chargeOne, addStoredBytes), which fails the statement and so the
      // whole transaction, atomically, on every engine.
      `CREATE TABLE IF NOT EXISTS ${this.namespaces} (
        ns BYTEA PRIMARY KEY,
        stored_bytes BIGINT NOT NULL,
        CONSTRAINT ${quota} CHECK (stored_bytes >= 0)
      )`,
      `CREATE TABLE IF NOT EXISTS ${this.entries} (
        ns BYTEA NOT NULL,
        key BYTEA NOT NULL,
        value BYTEA NOT NULL,
        PRIMARY KEY (ns, key)
      )`,
    ];
    const n = this.namespaces;
    const e = this.entries;
    this.get = this.#statement('get', `SELECT value FROM ${e} WHERE ns = $1 AND key = $2`);
    this.has = this.#statement('has', `SELECT 1 FROM ${e} WHERE ns = $1 AND key = $2`);
    this.getMany = this.#statement('get_many', `SELECT key, value FROM ${e} WHERE ns = $1 AND key = ANY($2::bytea[])`);
    this.storedBytes = this.#statement('stored', `SELECT stored_bytes FROM ${n} WHERE ns = $1`);
    // Creates the namespace's row on first use and locks it until the transaction ends, in one statement
    // (the no-op DO UPDATE is what takes the row lock when the row exists).
    this.lockNamespace = this.#statement(
      'lock',
      `INSERT INTO ${n} AS t (ns, stored_bytes) VALUES ($1, 0)
       ON CONFLICT (ns) DO UPDATE SET stored_bytes = t.stored_bytes RETURNING stored_bytes`,
    );
    // The guarded update. `d.delta` = new bytes ($3) - the old bytes of the keys about to be written, read
    // by this statement, which starts after lockNamespace holds the row: under READ COMMITTED it sees every
    // write of the previous lock holder. $4 = maxStoredBytes, NULL for no limit. Over the quota, the figure
    // becomes -1 and the CHECK constraint fails the statement, and with it the transaction.
    const charge = (keys: string) =>
      `UPDATE ${n} AS t SET stored_bytes = CASE
         WHEN d.delta <= 0 OR $4::bigint IS NULL OR t.stored_bytes + d.delta <= $4::bigint
         THEN t.stored_bytes + d.delta ELSE -1 END
       FROM (SELECT $3::bigint - coalesce(sum(octet_length(key) + octet_length(value)), 0)::bigint AS delta
             FROM ${e} WHERE ns = $1 AND ${keys}) AS d
       WHERE t.ns = $1 RETURNING t.stored_bytes`;
    this.chargeOne = this.#statement('charge_one', charge('key = $2'));
    this.chargeMany = this.#statement('charge_many', charge('key = ANY($2::bytea[])'));
    // The same difference, read alone: only to word the error of a refused write.
    const delta = (keys: string) =>
      `SELECT (SELECT stored_bytes FROM ${n} WHERE ns = $1) AS stored,
              $3::bigint - coalesce(sum(octet_length(key) + octet_length(value)), 0)::bigint AS delta
       FROM ${e} WHERE ns = $1 AND ${keys}`;
    this.deltaOne = this.#statement('delta_one', delta('key = $2'));
    this.deltaMany = this.#statement('delta_many', delta('key = ANY($2::bytea[])'));
    this.oldValue = this.#statement('old_value', `SELECT value FROM ${e} WHERE ns = $1 AND key = $2`);
    this.put = this.#statement(
      'put',
      `INSERT INTO ${e} (ns, key, value) VALUES ($1, $2, $3) ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value`,
    );
    this.putMany = this.#statement(
      'put_many',
      `INSERT INTO ${e} (ns, key, value) SELECT $1, t.k, t.v FROM unnest($2::bytea[], $3::bytea[]) AS t(k, v)
       ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value`,
    );
    this.delete = this.#statement('delete', `DELETE FROM ${e} WHERE ns = $1 AND key = $2`);
    this.deleteMany = this.#statement('delete_many', `DELETE FROM ${e} WHERE ns = $1 AND key = ANY($2::bytea[])`);
    // The guard of increment and compare-and-swap, whose delta the process computes: $2 = delta,
    // $3 = maxStoredBytes or NULL. A delta that frees space always passes.
    this.addStoredBytes = this.#statement(
      'add_stored',
      `UPDATE ${n} SET stored_bytes = CASE
         WHEN $2::bigint <= 0 OR $3::bigint IS NULL OR stored_bytes + $2::bigint <= $3::bigint
         THEN stored_bytes + $2::bigint ELSE -1 END
       WHERE ns = $1`,
    );
  }

  /** A range scan over one namespace: $1 = ns, then the bounds present, then the limit. */
  range(shape: RangeShape): Statement {
    const id = `${shape.lower ?? '-'}${shape.upper ?? '-'}${shape.reverse ? 'r' : 'f'}${shape.values ? 'v' : 'k'}`;
    let statement = this.#ranges.get(id);
    if (statement === undefined) {
      const conditions = ['ns = $1'];
      let parameter = 2;
      if (shape.lower) conditions.push(`key ${shape.lower === 'gt' ? '>' : '>='} $${parameter++}`);
      if (shape.upper) conditions.push(`key ${shape.upper === 'lt' ? '<' : '<='} $${parameter++}`);
      statement = this.#statement(
        `range_${id.replaceAll('-', '_')}`,
        `SELECT key${shape.values ? ', value' : ''} FROM ${this.entries} WHERE ${conditions.join(' AND ')}
         ORDER BY key${shape.reverse ? ' DESC' : ''} LIMIT $${parameter}`,
      );
      this.#ranges.set(id, statement);
    }
    return statement;
  }

  #statement(name: string, text: string): Statement {
    return Object.freeze({ name: `${this.#tag}_${name}`, text });
  }
}

/** FNV-1a, 32 bits, as 8 hex digits: enough to keep statement names of different schemas apart. */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
