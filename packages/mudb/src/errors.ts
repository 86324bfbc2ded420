import { MuError, type MuErrorOptions } from '@mu/errors';

/**
 * Every error MuDB throws on purpose is a {@link MuDBError} with a stable `code`.
 * Codes are public API (listed in the README); messages may change.
 */
export type MuDBErrorCode =
  | 'MUDB_NOT_OPEN'
  | 'MUDB_KEY_TOO_LARGE'
  | 'MUDB_VALUE_TOO_LARGE'
  | 'MUDB_QUOTA_EXCEEDED'
  | 'MUDB_BAD_CURSOR'
  | 'MUDB_NOT_A_COUNTER'
  | 'MUDB_COUNTER_OVERFLOW'
  | 'MUDB_BATCH_TOO_LARGE'
  | 'MUDB_UNSUPPORTED'
  | 'MUDB_BACKEND'
  | 'MUDB_PROTOCOL'
  | 'MUDB_AUTH'
  | 'MUDB_FORBIDDEN'
  | 'MUDB_CONNECTION'
  | 'MUDB_CONNECTION_LOST';

/** Options every MuDB error accepts: a `cause` to keep and `details` to print under the message. */
export type MuDBErrorOptions = MuErrorOptions;

/**
 * The base of every MuDB error: a {@link MuError} with a `MUDB_*` code.
 *
 * @example
 * ```ts
 * try { await bucket.set('k', value); } catch (error) {
 *   if (error instanceof MuDBError && error.code === 'MUDB_QUOTA_EXCEEDED') { ... }
 * }
 * ```
 */
export class MuDBError extends MuError<MuDBErrorCode> {
  override name = 'MuDBError';
}

/** The store is not open (never opened, or closed). */
export class NotOpenError extends MuDBError {
  override name = 'NotOpenError';
  constructor(options: MuDBErrorOptions = {}) {
    super('MUDB_NOT_OPEN', 'MuDB is not open: call openMuDB() and do not use the store after close().', options);
  }
}

/** A key is longer than the namespace allows. */
export class KeyTooLargeError extends MuDBError {
  override name = 'KeyTooLargeError';
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super('MUDB_KEY_TOO_LARGE', `Key of ${size} bytes exceeds the limit of ${limit} bytes; use a shorter key.`);
  }
}

/** A value is larger than the namespace allows. */
export class ValueTooLargeError extends MuDBError {
  override name = 'ValueTooLargeError';
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(
      'MUDB_VALUE_TOO_LARGE',
      `Value of ${size} bytes exceeds the limit of ${limit} bytes; split it over several keys.`,
    );
  }
}

/** A write would take the namespace over its stored-bytes quota. Nothing was written. */
export class QuotaExceededError extends MuDBError {
  override name = 'QuotaExceededError';
  constructor(
    readonly namespace: string,
    readonly storedBytes: number,
    readonly neededBytes: number,
    readonly limit: number,
  ) {
    super(
      'MUDB_QUOTA_EXCEEDED',
      `Namespace "${namespace}" would hold ${storedBytes + neededBytes} bytes, over its quota of ${limit} bytes; nothing was written. Delete keys or raise the quota.`,
    );
  }
}

/** A list cursor is malformed or belongs to another listing. */
export class BadCursorError extends MuDBError {
  override name = 'BadCursorError';
  constructor(details: string) {
    super('MUDB_BAD_CURSOR', 'The cursor is not one this listing returned; start again without a cursor.', {
      details,
    });
  }
}

/** `increment` met a value that is not a signed 64-bit decimal integer. */
export class NotACounterError extends MuDBError {
  override name = 'NotACounterError';
  constructor(readonly key: string) {
    super(
      'MUDB_NOT_A_COUNTER',
      `Key "${key}" holds a value that is not a signed 64-bit decimal integer, so it cannot be incremented.`,
    );
  }
}

/** `increment` would leave the signed 64-bit range. Nothing was written. */
export class CounterOverflowError extends MuDBError {
  override name = 'CounterOverflowError';
  constructor(readonly key: string) {
    super('MUDB_COUNTER_OVERFLOW', `Incrementing "${key}" would leave the signed 64-bit range; nothing was written.`);
  }
}

/** A batch holds more operations than one atomic write allows. */
export class BatchTooLargeError extends MuDBError {
  override name = 'BatchTooLargeError';
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super('MUDB_BATCH_TOO_LARGE', `A batch of ${size} operations exceeds the limit of ${limit}; split it.`);
  }
}

/** The backend cannot do what was asked (see its `supports` manifest). */
export class UnsupportedError extends MuDBError {
  override name = 'UnsupportedError';
  constructor(what: string) {
    super('MUDB_UNSUPPORTED', `The backend does not support ${what}.`);
  }
}

/** The storage below failed; the original error is the `cause`. */
export class BackendError extends MuDBError {
  override name = 'BackendError';
  constructor(operation: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('MUDB_BACKEND', `The storage backend failed during ${operation}: ${reason}`, { cause });
  }
}

/** A peer sent bytes that are not the MuDB protocol (malformed, oversized or unexpected frames). */
export class ProtocolError extends MuDBError {
  override name = 'ProtocolError';
  constructor(details: string) {
    super('MUDB_PROTOCOL', `MuDB protocol violation: ${details}.`);
  }
}

/** The MuDB server refused the client's credentials (or the server could not prove it holds the secret). */
export class AuthError extends MuDBError {
  override name = 'AuthError';
  constructor(details: string) {
    super('MUDB_AUTH', 'MuDB server authentication failed: check the client id and shared secret.', { details });
  }
}

/** The client's credentials do not cover the namespace it asked for. */
export class ForbiddenError extends MuDBError {
  override name = 'ForbiddenError';
  constructor(readonly namespace: string) {
    super('MUDB_FORBIDDEN', `This client may not use namespace "${namespace}"; grant it in the server's client list.`);
  }
}

/** The MuDB server could not be reached (or not in time). Nothing was sent. */
export class ConnectionError extends MuDBError {
  override name = 'ConnectionError';
  constructor(details: string, options: MuDBErrorOptions = {}) {
    super('MUDB_CONNECTION', 'Cannot reach the MuDB server; is it running and reachable?', { ...options, details });
  }
}

/**
 * The connection dropped while a write was in flight. The write may or may not have been applied; the
 * client never resends it, so it is applied at most once. Read the key again to find out.
 */
export class ConnectionLostError extends MuDBError {
  override name = 'ConnectionLostError';
  /** Always true: the request had been sent, so the server may have applied it. */
  readonly maybeApplied = true;
  constructor(operation: string, options: MuDBErrorOptions = {}) {
    super(
      'MUDB_CONNECTION_LOST',
      `The connection to the MuDB server dropped during ${operation}; it may or may not have been applied and was not retried.`,
      options,
    );
  }
}
