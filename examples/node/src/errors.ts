import { MuError, type MuErrorOptions } from '@mu/errors';

/** Stable codes of the executor's errors (public: listed in the README). */
export type ExecutorErrorCode =
  | 'NODE_CONFIG_INVALID'
  | 'NODE_CODE_FETCH_FAILED'
  | 'NODE_CODE_MISMATCH'
  | 'NODE_CERTIFICATE_INVALID'
  | 'NODE_START_FAILED';

/** Options of {@link ExecutorError}: the wrapped `cause` and extra `details`. */
export type ExecutorErrorOptions = MuErrorOptions;

/**
 * The base of the executor's errors: a stable `code` (`NODE_*`), a `shortMessage` that says what to do, and the
 * underlying error as `cause` (fields and message format from `@mu/errors`).
 */
export class ExecutorError extends MuError<ExecutorErrorCode> {
  override name = 'ExecutorError';
}

/** A configuration value is missing or malformed; `field` names it (the CLI exits with code 2). */
export class ConfigError extends ExecutorError {
  override name = 'ConfigError';
  readonly field: string;

  constructor(field: string, problem: string, options: ExecutorErrorOptions = {}) {
    super('NODE_CONFIG_INVALID', `config field "${field}" ${problem}`, options);
    this.field = field;
  }
}

/** The code of a job could not be fetched from its URL. */
export class CodeFetchError extends ExecutorError {
  override name = 'CodeFetchError';
  constructor(url: string, problem: string, options: ExecutorErrorOptions = {}) {
    super(
      'NODE_CODE_FETCH_FAILED',
      `could not fetch the code at ${url}: ${problem}; check the URL in the job spec`,
      options,
    );
  }
}

/** The fetched code is not what the job spec names (size or sha256): it is refused. */
export class CodeMismatchError extends ExecutorError {
  override name = 'CodeMismatchError';
  constructor(url: string, problem: string) {
    super(
      'NODE_CODE_MISMATCH',
      `refused the code at ${url}: ${problem}; the client must upload the right bytes or fix the spec`,
    );
  }
}
