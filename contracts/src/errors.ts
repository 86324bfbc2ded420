import { MuError } from '@mu/errors';

/** Stable error codes of @mu/contracts (public API: listed in the README). */
export type MuContractsErrorCode = 'CONTRACTS_DEPLOY_FAILED';

/**
 * The base error of @mu/contracts (its tooling: deploy, devnet): a `MuError` with a stable `CONTRACTS_` code, a
 * short message that says what to do, and the original ethers error as `cause`. Reverts of the deployed contract
 * are `@mu/contract-client`'s `MuContractError`s, whose codes start `CONTRACT_` (one letter less).
 * @example
 * ```ts
 * import { MuContractsError } from '@mu/contracts';
 * try { await deployMu(signer); } catch (error) { if (error instanceof MuContractsError) console.log(error.code); }
 * ```
 */
export class MuContractsError extends MuError<MuContractsErrorCode> {
  override name = 'MuContractsError';
}

/** A deployment transaction failed or the chain refused it. */
export class DeployFailedError extends MuContractsError {
  override name = 'DeployFailedError';

  constructor(step: string, cause: unknown) {
    super(
      'CONTRACTS_DEPLOY_FAILED',
      `Deploying Mu failed at "${step}". Check that the signer is funded and connected to the chain, then deploy again.`,
      { cause, details: describe(cause) },
    );
  }
}

function describe(cause: unknown): string {
  const short = (cause as { shortMessage?: unknown } | null)?.shortMessage;
  if (typeof short === 'string') return short;
  return cause instanceof Error ? cause.message : String(cause);
}
