/**
 * Transaction retries for PostgreSQL and its distributed relatives. CockroachDB and YugabyteDB report
 * write conflicts as serialization failures far more often than PostgreSQL does, and expect the client to
 * run the whole transaction again; PostgreSQL itself reports deadlocks the same way.
 */

/** How often and how long {@link withRetry} tries again. */
export interface RetryOptions {
  /** Most runs of the transaction, the first included (default 10). */
  readonly attempts?: number;
  /** Back-off before the second run, doubled for every further run (default 2 ms). */
  readonly baseDelayMs?: number;
  /** Longest back-off (default 250 ms). */
  readonly maxDelayMs?: number;
}

/** SQLSTATEs after which the whole transaction may be run again: nothing of it was committed. */
const RETRYABLE = new Set([
  '40001', // serialization_failure: PostgreSQL REPEATABLE READ/SERIALIZABLE, CockroachDB, YugabyteDB conflicts
  '40P01', // deadlock_detected
]);
// Not retried: CockroachDB's 40003 (statement_completion_unknown), a COMMIT whose outcome is unknown, and
// connection losses: the transaction may have committed, and running an increment twice would count twice.

/** Whether `error` is a serialization failure or a deadlock, after which the transaction can be rerun. */
export function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && RETRYABLE.has(String((error as { code?: unknown }).code));
}

/**
 * Runs `transaction` until it succeeds, fails with an error that is not retryable, or has run
 * `attempts` times. Back-off is "full jitter" (a random delay up to an exponentially growing cap), which
 * spreads contending clients apart instead of letting them collide again in lockstep.
 *
 * @returns what the last run returned
 * @throws the last run's error
 */
export async function withRetry<T>(
  transaction: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 10;
  const base = options.baseDelayMs ?? 2;
  const cap = options.maxDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction(attempt);
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
      const delay = Math.random() * Math.min(cap, base * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Validates retry options. @throws TypeError, RangeError */
export function resolveRetry(options: RetryOptions | undefined): Required<RetryOptions> {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError('retry must be an object');
  }
  const resolved = {
    attempts: options?.attempts ?? 10,
    baseDelayMs: options?.baseDelayMs ?? 2,
    maxDelayMs: options?.maxDelayMs ?? 250,
  };
  if (!Number.isInteger(resolved.attempts) || resolved.attempts < 1) {
    throw new RangeError(`retry.attempts must be a positive integer, got ${resolved.attempts}`);
  }
  for (const field of ['baseDelayMs', 'maxDelayMs'] as const) {
    const value = resolved[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`retry.${field} must be a non-negative finite number, got ${value}`);
    }
  }
  return resolved;
}
