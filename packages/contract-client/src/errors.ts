import { MuError, type MuErrorOptions } from '@mu/errors';

/**
 * Every error this package throws on purpose is a {@link ContractClientError} with a stable `code`.
 * Codes are public API (listed in the README); messages may change.
 *
 * Reverts of the Mu contracts are {@link MuContractError}s (`CONTRACT_*` codes), one subclass per
 * Solidity custom error; see `contract-errors.ts`. Not to be confused with `@mu/contracts`' own
 * `CONTRACTS_*` codes (its deploy and devnet tooling): match on the whole code, never on a prefix.
 */
export type ContractClientErrorCode =
  | 'CRYPTO_ENVELOPE_MALFORMED'
  | 'CRYPTO_ENVELOPE_VERSION'
  | 'CRYPTO_DECRYPTION_FAILED'
  | 'JOB_SPEC_INVALID'
  | 'JOB_SPEC_TOO_LARGE'
  | 'SETTLEMENT_CONFLICTING_REPORTS'
  | 'WATCH_REORGANIZED'
  | 'PROTOCOL_MISMATCH'
  | `CONTRACT_${string}`;

/** Options every error of this package accepts. */
export type ContractClientErrorOptions = MuErrorOptions;

/**
 * The base of every error of `@mu/contract-client`: a `MuError` of `@mu/errors` (`code`, `shortMessage`,
 * `details`, `cause`, `walk()`).
 *
 * @example
 * ```ts
 * try { decryptJobSpec(envelope, key, context); } catch (error) {
 *   if (error instanceof ContractClientError && error.code === 'CRYPTO_DECRYPTION_FAILED') { ... }
 * }
 * ```
 */
export class ContractClientError extends MuError<ContractClientErrorCode> {
  override name = 'ContractClientError';
}

/** The bytes are not a job spec envelope (too short, bad ephemeral key). */
export class EnvelopeMalformedError extends ContractClientError {
  override name = 'EnvelopeMalformedError';
  constructor(options: ContractClientErrorOptions = {}) {
    super(
      'CRYPTO_ENVELOPE_MALFORMED',
      'The encrypted job spec is not a valid envelope; read it again from the JobCreated event or ask the client to re-encrypt it.',
      options,
    );
  }
}

/** The envelope was written by a version of the format this package does not read. */
export class EnvelopeVersionError extends ContractClientError {
  override name = 'EnvelopeVersionError';
  constructor(
    readonly version: number,
    options: ContractClientErrorOptions = {},
  ) {
    super(
      'CRYPTO_ENVELOPE_VERSION',
      `Envelope version ${version} is not supported; upgrade @mu/contract-client or ask the client to encrypt with version 1.`,
      options,
    );
  }
}

/**
 * Authenticated decryption failed: the wrong private key, the wrong context (chain, contract,
 * client, provider) or bytes changed in transit. Never returns garbage instead.
 */
export class DecryptionError extends ContractClientError {
  override name = 'DecryptionError';
  constructor(options: ContractClientErrorOptions = {}) {
    super(
      'CRYPTO_DECRYPTION_FAILED',
      'The job spec could not be decrypted: check the provider encryption key and the context (chain id, contract, client, provider); the envelope may have been tampered with.',
      options,
    );
  }
}

/** One problem found in a job spec, with the path of the field (`limits.memoryMb`). */
export interface JobSpecIssue {
  path: string;
  message: string;
}

/** A job spec does not match the schema (DESIGN.md "Interfaces that must not drift"). */
export class JobSpecError extends ContractClientError {
  override name = 'JobSpecError';
  constructor(
    readonly issues: readonly JobSpecIssue[],
    options: ContractClientErrorOptions = {},
  ) {
    super('JOB_SPEC_INVALID', 'The job spec is invalid; fix the fields listed in details.', {
      details: issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; '),
      ...options,
    });
  }
}

/** A job spec is larger than the protocol allows once serialized. */
export class JobSpecTooLargeError extends ContractClientError {
  override name = 'JobSpecTooLargeError';
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(
      'JOB_SPEC_TOO_LARGE',
      `The job spec is ${size} bytes once serialized; the limit is ${limit} bytes. Move large values out of env.`,
    );
  }
}

/**
 * Two different reports signed by one node for the same job and sequence: the node equivocated. Not
 * settled; pass both to `proveEquivocation` to slash the provider.
 */
export class ConflictingReportsError extends ContractClientError {
  override name = 'ConflictingReportsError';
  constructor(
    readonly first: unknown,
    readonly second: unknown,
    readonly jobId: bigint,
    readonly node: string,
    readonly sequence: bigint,
  ) {
    super(
      'SETTLEMENT_CONFLICTING_REPORTS',
      `Node ${node} signed two different reports for job ${jobId}, sequence ${sequence}; settle one and prove the equivocation with proveEquivocation().`,
    );
  }
}

/**
 * The block of the last event `watchJobs` delivered is no longer in the chain: a reorganization deeper
 * than `confirmations`. Events already delivered may be gone or changed.
 */
export class ChainReorganizedError extends ContractClientError {
  override name = 'ChainReorganizedError';
  constructor(
    readonly blockNumber: number,
    readonly expectedHash: string,
    readonly actualHash: string | undefined,
  ) {
    super(
      'WATCH_REORGANIZED',
      `Block ${blockNumber} changed after its events were delivered (a reorganization deeper than \`confirmations\`); rebuild state from an earlier block and watch with more confirmations.`,
      { details: `expected ${expectedHash}, got ${actualHash ?? 'no block'}` },
    );
  }
}

/** The deployed marketplace speaks another version of the protocol than this package. */
export class ProtocolMismatchError extends ContractClientError {
  override name = 'ProtocolMismatchError';
  constructor(readonly mismatches: readonly string[]) {
    super(
      'PROTOCOL_MISMATCH',
      'The marketplace at this address speaks another protocol version than @mu/contract-client; check the address or upgrade the package.',
      { details: mismatches.join('; ') },
    );
  }
}
