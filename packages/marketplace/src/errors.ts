import { MuError, type MuErrorOptions } from '@mu/errors';

/**
 * Every error @mu/marketplace throws on purpose is a {@link MarketplaceError} with a stable `code`.
 * Codes are public API (listed in the README); messages may change.
 */
export type MarketplaceErrorCode =
  | 'MARKETPLACE_RPC_UNREACHABLE'
  | 'MARKETPLACE_RPC_ERROR'
  | 'MARKETPLACE_WRONG_CHAIN'
  | 'MARKETPLACE_WRONG_CONTRACT'
  | 'MARKETPLACE_UNKNOWN_JOB'
  | 'MARKETPLACE_UNKNOWN_PROVIDER'
  | 'MARKETPLACE_UNKNOWN_REGION'
  | 'MARKETPLACE_CALL_REVERTED';

/** Options every marketplace error accepts. */
export type MarketplaceErrorOptions = MuErrorOptions;

/**
 * The base of every error of `@mu/marketplace`: a `MuError` of `@mu/errors` with a stable `MARKETPLACE_` code, a
 * `shortMessage` that says what to do, `details` (facts that help), and the underlying error as `cause`.
 *
 * @example
 * ```ts
 * try { await getJob(client, { jobId: 42n }); } catch (error) {
 *   if (error instanceof MarketplaceError && error.code === 'MARKETPLACE_UNKNOWN_JOB') showNotFound();
 * }
 * ```
 */
export class MarketplaceError extends MuError<MarketplaceErrorCode> {
  override name = 'MarketplaceError';
}

/** The JSON-RPC endpoint did not answer (connection refused, DNS, timeout, HTTP error, wallet disconnected). */
export class RpcUnreachableError extends MarketplaceError {
  override name = 'RpcUnreachableError';
  constructor(options: MarketplaceErrorOptions = {}) {
    super(
      'MARKETPLACE_RPC_UNREACHABLE',
      'The JSON-RPC endpoint did not answer: check the RPC URL (or that the wallet is connected) and that the node is running, then retry.',
      options,
    );
  }
}

/** The endpoint answered with a JSON-RPC error that is not a contract revert, or with a malformed response. */
export class RpcError extends MarketplaceError {
  override name = 'RpcError';
  constructor(
    readonly rpcCode: number | undefined,
    options: MarketplaceErrorOptions = {},
  ) {
    super(
      'MARKETPLACE_RPC_ERROR',
      'The JSON-RPC endpoint refused the request: it may not support the method or may be rate limiting; retry later or use another endpoint.',
      options,
    );
  }
}

/** The endpoint serves another chain than the one the client was made for. */
export class WrongChainError extends MarketplaceError {
  override name = 'WrongChainError';
  constructor(
    readonly expected: bigint,
    readonly actual: bigint,
    options: MarketplaceErrorOptions = {},
  ) {
    super(
      'MARKETPLACE_WRONG_CHAIN',
      `The RPC endpoint serves chain ${actual}, not chain ${expected}: switch the wallet or the RPC URL to chain ${expected}.`,
      options,
    );
  }
}

/** No Mu marketplace contract answers at the address on this chain. */
export class WrongContractError extends MarketplaceError {
  override name = 'WrongContractError';
  constructor(
    readonly address: string,
    options: MarketplaceErrorOptions = {},
  ) {
    super(
      'MARKETPLACE_WRONG_CONTRACT',
      `No Mu marketplace answers at ${address} on this chain: check the marketplace address and that the RPC serves the chain it was deployed on.`,
      options,
    );
  }
}

/** The job id was never created on this marketplace. */
export class JobNotFoundError extends MarketplaceError {
  override name = 'JobNotFoundError';
  constructor(
    readonly jobId: bigint,
    options: MarketplaceErrorOptions = {},
  ) {
    super(
      'MARKETPLACE_UNKNOWN_JOB',
      `Job ${jobId} does not exist on this marketplace: check the id (ids start at 1) and the marketplace address.`,
      options,
    );
  }
}

/** The account is not a registered provider. */
export class ProviderNotFoundError extends MarketplaceError {
  override name = 'ProviderNotFoundError';
  constructor(
    readonly provider: string,
    options: MarketplaceErrorOptions = {},
  ) {
    super(
      'MARKETPLACE_UNKNOWN_PROVIDER',
      `${provider} is not a registered provider on this marketplace: check the address, or list providers with getRegionProviders.`,
      options,
    );
  }
}

/** The region id was never created on this marketplace. */
export class RegionNotFoundError extends MarketplaceError {
  override name = 'RegionNotFoundError';
  constructor(
    readonly region: number,
    options: MarketplaceErrorOptions = {},
  ) {
    super(
      'MARKETPLACE_UNKNOWN_REGION',
      `Region ${region} does not exist on this marketplace: list the regions with getRegions (ids start at 1).`,
      options,
    );
  }
}

/** A read reverted for a reason this package does not map to another error (the decoded name is in details). */
export class CallRevertedError extends MarketplaceError {
  override name = 'CallRevertedError';
  constructor(
    readonly errorName: string | undefined,
    options: MarketplaceErrorOptions = {},
  ) {
    super(
      'MARKETPLACE_CALL_REVERTED',
      `A marketplace read reverted${errorName ? ` with ${errorName}` : ''}: check the arguments; if they are right, the contract may be a different version than this package expects.`,
      options,
    );
  }
}
