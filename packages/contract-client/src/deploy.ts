import { type DeployMuOptions, deployMu as deployContracts } from '@mu/contracts';
import type { Signer } from 'ethers';
import { createMuClient, type MuClient } from './client.js';

/** What {@link deployMu} returns: addresses, and a client bound to the deployer. */
export interface MuDeploymentInfo {
  chainId: bigint;
  /** The MuMarketplace address. */
  marketplace: string;
  /** The payment token address (a TestStablecoin unless `token` was given). */
  token: string;
  /** The regions created, ids from 1. */
  regions: { id: number; name: string }[];
  /** Block of the marketplace deployment: where to start watching events. */
  deployBlock: number;
  /** A client for the new marketplace, signing with the deployer. */
  client: MuClient;
}

/**
 * Deploys Mu for tests and local networks: the test stablecoin (unless `token` is given), the marketplace
 * and the regions. Built on `@mu/contracts`' `deployMu`; see its options for the defaults (fee 250 bps,
 * minimum deposit 100 tokens, unbonding 7 days, settlement window 1 day).
 *
 * @throws {TypeError} / {@link RangeError} for bad options; `DeployFailedError` (`CONTRACTS_DEPLOY_FAILED`) from @mu/contracts.
 * @example
 * ```ts
 * const mu = await deployMu({ signer: admin, regions: ['eu-west'] });
 * console.log(mu.marketplace, mu.token);
 * ```
 */
export async function deployMu(options: { signer: Signer } & DeployMuOptions): Promise<MuDeploymentInfo> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.');
  const { signer, ...rest } = options;
  const deployment = await deployContracts(signer, rest);
  return {
    chainId: deployment.chainId,
    marketplace: deployment.marketplaceAddress,
    token: deployment.tokenAddress,
    regions: deployment.regions,
    deployBlock: deployment.deployBlock,
    client: createMuClient({ address: deployment.marketplaceAddress, runner: signer }),
  };
}
