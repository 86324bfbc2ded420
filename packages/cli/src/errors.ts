import { MuError, type MuErrorOptions } from '@mu/errors';

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

/** Options of {@link CliError}: a `cause` to keep and `details` (the file and line, the limits) printed under the message. */
export type CliErrorOptions = MuErrorOptions;

/**
 * The base of every error `mu` throws on purpose: a {@link MuError} with a `CLI_*` code that ends `mu` with exit
 * code 1 (2 for {@link UsageError}).
 *
 * @example
 * ```ts
 * throw new CliError('CLI_KEY_MISSING', 'No account key: set MU_PRIVATE_KEY or pass --key-file <path>.');
 * ```
 */
export class CliError extends MuError<CliErrorCode> {
  override name = 'CliError';
  /** The process exit code this error ends `mu` with. */
  readonly exitCode: 1 | 2 = 1;
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

/**
 * The message of a Mu error as `mu` prints it: the short message, then the details on the next line (the format
 * `mu` has always printed, for its own errors and those of the packages below it).
 *
 * @example
 * ```ts
 * printedMessage(new UsageError('--prepay is required.', 'deploy'));
 * // '--prepay is required.\nRun `mu deploy --help` for the options and an example.'
 * ```
 */
export function printedMessage(error: MuError): string {
  return error.details ? `${error.shortMessage}\n${error.details}` : error.shortMessage;
}
