/**
 * Every failure `mu` reports on purpose is a {@link CliError} with a stable `code` (listed in the README) and a
 * message that says what to do. Errors of the packages it builds on (`CONTRACT_*`, `RUNTIME_*`, `MARKETPLACE_*`,
 * `JOB_SPEC_*`) are shown with their own code.
 */
export type CliErrorCode =
  | 'CLI_USAGE'
  | 'CLI_CONFIG_INVALID'
  | 'CLI_KEY_MISSING'
  | 'CLI_KEY_INVALID'
  | 'CLI_PROJECT_EXISTS'
  | 'CLI_PROJECT_NOT_FOUND'
  | 'CLI_BUILD_SYNTAX'
  | 'CLI_BUILD_MISSING_EXPORT'
  | 'CLI_BUILD_FAILED'
  | 'CLI_BUILD_OUTPUT_MISSING'
  | 'CLI_CODE_UNAVAILABLE'
  | 'CLI_CODE_MISMATCH'
  | 'CLI_OFFER_NOT_OPEN'
  | 'CLI_UNKNOWN_REGION'
  | 'CLI_FILE_EXISTS'
  | 'CLI_CHAIN_UNREACHABLE'
  | 'CLI_DEV_FAILED';

/** Options of {@link CliError}. */
export interface CliErrorOptions {
  cause?: unknown;
  /** Extra facts (the file and line, the limits) printed under the message. */
  details?: string;
}

/**
 * The base of every error `mu` throws on purpose: exit code 1 (2 for {@link UsageError}).
 *
 * @example
 * ```ts
 * throw new CliError('CLI_KEY_MISSING', 'No account key: set MU_PRIVATE_KEY or pass --key-file <path>.');
 * ```
 */
export class CliError extends Error {
  override name = 'CliError';
  /** Stable, machine-readable code. */
  readonly code: CliErrorCode;
  /** The message without details. */
  readonly shortMessage: string;
  readonly details: string | undefined;
  /** The process exit code this error ends `mu` with. */
  readonly exitCode: 1 | 2 = 1;

  constructor(code: CliErrorCode, shortMessage: string, options: CliErrorOptions = {}) {
    super(options.details ? `${shortMessage}\n${options.details}` : shortMessage, { cause: options.cause });
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = options.details;
  }
}

/**
 * A malformed command line (unknown option, missing argument, bad value): exit code 2.
 *
 * @example
 * ```ts
 * throw new UsageError('--prepay is required.', 'deploy');
 * ```
 */
export class UsageError extends CliError {
  override name = 'UsageError';
  override readonly exitCode = 2;
  /** The command whose `--help` explains the fix. */
  readonly command: string | undefined;

  constructor(shortMessage: string, command?: string) {
    super('CLI_USAGE', shortMessage, {
      details: `Run \`mu ${command ? `${command} ` : ''}--help\` for the options and an example.`,
    });
    this.command = command;
  }
}
