import { MuError, type MuErrorOptions } from '@mu/errors';

/**
 * Every error the runtime throws or answers on purpose carries a stable `code` (`RUNTIME_*`).
 * Codes are public API (listed in the README); messages may change.
 */
export type RuntimeErrorCode =
  | 'RUNTIME_NOT_A_COMPONENT'
  | 'RUNTIME_HASH_MISMATCH'
  | 'RUNTIME_WRONG_WORLD'
  | 'RUNTIME_MISSING_EXPORT'
  | 'RUNTIME_UNSUPPORTED_IMPORT'
  | 'RUNTIME_TRANSPILE_FAILED'
  | 'RUNTIME_JOB_EXISTS'
  | 'RUNTIME_JOB_NOT_FOUND'
  | 'RUNTIME_CLOSED'
  | 'RUNTIME_LOAD_FAILED'
  | 'RUNTIME_TIMEOUT'
  | 'RUNTIME_TRAP'
  | 'RUNTIME_MEMORY_LIMIT'
  | 'RUNTIME_REQUEST_TOO_LARGE'
  | 'RUNTIME_RESPONSE_TOO_LARGE'
  | 'RUNTIME_BAD_RESPONSE'
  | 'RUNTIME_OVERLOADED';

/** Options every runtime error accepts (`cause`, `details`). */
export type RuntimeErrorOptions = MuErrorOptions;

/**
 * The base of every runtime error: a {@link MuError} with a `RUNTIME_*` code.
 *
 * @example
 * ```ts
 * try { await runtime.register('job-1', { component: bytes }); } catch (error) {
 *   if (error instanceof MuRuntimeError && error.code === 'RUNTIME_UNSUPPORTED_IMPORT') { ... }
 * }
 * ```
 */
export class MuRuntimeError extends MuError<RuntimeErrorCode> {
  override name = 'MuRuntimeError';
}

/** The bytes are not a WebAssembly component (a core module, or not Wasm at all). */
export class NotAComponentError extends MuRuntimeError {
  override name = 'NotAComponentError';
  constructor(reason: string, options: RuntimeErrorOptions = {}) {
    super(
      'RUNTIME_NOT_A_COMPONENT',
      `The code is not a WebAssembly component (${reason}); build it with componentize-qjs, componentize-js or \`jco new\`.`,
      options,
    );
  }
}

/** The bytes do not hash to the sha256 the job spec names. */
export class HashMismatchError extends MuRuntimeError {
  override name = 'HashMismatchError';
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      'RUNTIME_HASH_MISMATCH',
      'The component does not match the sha256 of the job spec; fetch the code again or fix the spec.',
      { details: `expected ${expected}, got ${actual}` },
    );
  }
}

/** The component exports neither the Mu world's `handle` nor `wasi:http/incoming-handler`. */
export class WrongWorldError extends MuRuntimeError {
  override name = 'WrongWorldError';
  constructor(readonly exports: readonly string[]) {
    super(
      'RUNTIME_WRONG_WORLD',
      'The component targets neither the Mu world (mu:app/app) nor wasi:http/proxy; build it against one of them.',
      { details: `exports: ${exports.join(', ') || '(none)'}` },
    );
  }
}

/** The component imports the Mu world but does not export what it must. */
export class MissingExportError extends MuRuntimeError {
  override name = 'MissingExportError';
  constructor(readonly missing: string) {
    super('RUNTIME_MISSING_EXPORT', `The component does not export \`${missing}\`; export it from the app's entry.`);
  }
}

/** The component imports interfaces the runtime does not provide (or the job spec does not grant). */
export class UnsupportedImportError extends MuRuntimeError {
  override name = 'UnsupportedImportError';
  constructor(readonly imports: readonly string[]) {
    super(
      'RUNTIME_UNSUPPORTED_IMPORT',
      'The component imports capabilities this node does not provide; remove them from the app or its world.',
      { details: `unsupported: ${imports.join(', ')}` },
    );
  }
}

/** jco could not transpile the component (invalid or unsupported binary). */
export class TranspileError extends MuRuntimeError {
  override name = 'TranspileError';
  constructor(options: RuntimeErrorOptions = {}) {
    super(
      'RUNTIME_TRANSPILE_FAILED',
      'jco could not transpile the component; validate it with `wasm-tools validate`.',
      options,
    );
  }
}

/** `register` was called for a job id that is already registered. */
export class JobExistsError extends MuRuntimeError {
  override name = 'JobExistsError';
  constructor(readonly jobId: string) {
    super('RUNTIME_JOB_EXISTS', `Job ${jobId} is already registered; call update() to change its code.`);
  }
}

/** No job is registered under this id. */
export class JobNotFoundError extends MuRuntimeError {
  override name = 'JobNotFoundError';
  constructor(readonly jobId: string) {
    super('RUNTIME_JOB_NOT_FOUND', `Job ${jobId} is not registered on this runtime; register() it first.`);
  }
}

/** The runtime was closed. */
export class RuntimeClosedError extends MuRuntimeError {
  override name = 'RuntimeClosedError';
  constructor() {
    super('RUNTIME_CLOSED', 'The runtime is closed; create a new one with createRuntime().');
  }
}

/** The component's code could not be loaded (compiled or instantiated) on first use. */
export class LoadError extends MuRuntimeError {
  override name = 'LoadError';
  constructor(
    readonly jobId: string,
    options: RuntimeErrorOptions = {},
  ) {
    super('RUNTIME_LOAD_FAILED', `Job ${jobId} could not be loaded; check the component and its limits.`, options);
  }
}

/**
 * Codes a guest failure answers with (as a JSON error response, never as a thrown error), with their HTTP status.
 * The body is `{ "error": { "code", "message", "id" } }` and the `mu-error` header holds the code.
 */
export const GUEST_ERROR_STATUS = {
  RUNTIME_TIMEOUT: 504,
  RUNTIME_TRAP: 500,
  RUNTIME_MEMORY_LIMIT: 500,
  RUNTIME_LOAD_FAILED: 500,
  RUNTIME_REQUEST_TOO_LARGE: 413,
  RUNTIME_RESPONSE_TOO_LARGE: 502,
  RUNTIME_BAD_RESPONSE: 502,
  RUNTIME_OVERLOADED: 503,
} as const satisfies Partial<Record<RuntimeErrorCode, number>>;

/** A code that a guest failure answers with. */
export type GuestErrorCode = keyof typeof GUEST_ERROR_STATUS;
