/** Stable codes of the executor's errors (public: listed in the README). */
export type ExecutorErrorCode =
  | 'NODE_CONFIG_INVALID'
  | 'NODE_CODE_FETCH_FAILED'
  | 'NODE_CODE_MISMATCH'
  | 'NODE_CERTIFICATE_INVALID'
  | 'NODE_START_FAILED';

/** Options of {@link ExecutorError}. */
export interface ExecutorErrorOptions {
  cause?: unknown;
  details?: string;
}

/**
 * The base of the executor's errors: a stable `code`, a `shortMessage` that says what to do, and the
 * underlying error as `cause`.
 */
export class ExecutorError extends Error {
  override name = 'ExecutorError';
  readonly code: ExecutorErrorCode;
  readonly shortMessage: string;
  readonly details: string | undefined;

  constructor(code: ExecutorErrorCode, shortMessage: string, options: ExecutorErrorOptions = {}) {
    super(options.details ? `${shortMessage}\n\nDetails: ${options.details}` : shortMessage, {
      cause: options.cause,
    });
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = options.details;
  }
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
