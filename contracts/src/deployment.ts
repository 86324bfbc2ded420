import {
  type BaseContract,
  Contract,
  ContractFactory,
  type ContractRunner,
  type Provider,
  type Signer,
  type TransactionReceipt,
} from 'ethers';
import { DeployFailedError } from './errors.js';
import {
  MuMarketplaceAbi,
  MuMarketplaceBytecode,
  TestStablecoinAbi,
  TestStablecoinBytecode,
} from './generated/artifacts.js';
import { waitForTransaction } from './transactions.js';

/** What `deployMu` deploys and configures; every field has a default suited to tests and a local network. */
export interface DeployMuOptions {
  /** An existing payment token; when absent a TestStablecoin (6 decimals, permit, open mint) is deployed. */
  token?: string;
  /** Admin of the marketplace (default: the signer). */
  owner?: string;
  /** Receiver of protocol fees (default: the signer). */
  treasury?: string;
  /** Protocol fee in basis points (default 250, cap 1000). */
  protocolFeeBps?: number;
  /** Deposit a provider needs, in token base units (default 100 tokens of 6 decimals). */
  minProviderDeposit?: bigint;
  /** Unbonding delay in seconds (default 7 days). */
  unbondingDelay?: bigint;
  /** Settlement window after a cancel, in seconds (default 1 day). */
  settlementWindow?: bigint;
  /** Share of the stake slashed on equivocation, basis points (default 1000). */
  slashShareBps?: number;
  /** Share of a slash paid to the prover, basis points (default 5000). */
  slashRewardBps?: number;
  /** Region names to create, ids 1.. in order (default none); needs the signer to be the owner. */
  regions?: readonly string[];
}

/** A deployed Mu protocol. */
export interface MuDeployment {
  chainId: bigint;
  /** The payment token (ABI of TestStablecoin, which covers ERC-20 + permit + mint). */
  token: Contract;
  tokenAddress: string;
  marketplace: Contract;
  marketplaceAddress: string;
  /** The regions created, in id order. */
  regions: { id: number; name: string }[];
  /** Block of the marketplace deployment: start event scans here. */
  deployBlock: number;
}

async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new DeployFailedError(name, error);
  }
}

/** Waits for a transaction and fails on a reverted one. */
async function confirmed(provider: Provider, hash: string): Promise<TransactionReceipt> {
  const receipt = await waitForTransaction(provider, hash);
  if (receipt.status !== 1) throw new Error(`transaction ${hash} reverted`);
  return receipt;
}

async function deployed(provider: Provider, contract: BaseContract): Promise<{ address: string; block: number }> {
  const hash = contract.deploymentTransaction()?.hash;
  if (!hash) throw new Error('no deployment transaction');
  const receipt = await confirmed(provider, hash);
  return { address: await contract.getAddress(), block: receipt.blockNumber };
}

/**
 * Connects to a deployed marketplace with the package's ABI.
 * @param address The MuMarketplace address.
 * @param runner A signer (to send) or a provider (to read).
 * @returns An ethers Contract.
 * @example
 * ```ts
 * const marketplace = connectMarketplace('0x5FbDB2315678afecb367f032d93F642f64180aa3', provider);
 * ```
 */
export function connectMarketplace(address: string, runner: ContractRunner): Contract {
  return new Contract(address, MuMarketplaceAbi, runner);
}

/**
 * Deploys the payment token (unless given), the marketplace and the regions, waiting for each transaction.
 * @param signer The deployer; it pays gas and becomes owner unless `owner` says otherwise.
 * @param options Configuration (see DeployMuOptions for defaults).
 * @returns The contracts and their addresses.
 * @throws TypeError or RangeError on bad options, before any transaction.
 * @throws DeployFailedError (`CONTRACTS_DEPLOY_FAILED`) when a transaction fails; the ethers error is its cause.
 * @example
 * ```ts
 * const mu = await deployMu(signer, { regions: ['eu-west'] });
 * await mu.token.getFunction('mint')(await signer.getAddress(), 1_000_000n);
 * ```
 */
export async function deployMu(signer: Signer, options: DeployMuOptions = {}): Promise<MuDeployment> {
  if (!signer || typeof signer.getAddress !== 'function') throw new TypeError('signer must be an ethers Signer');
  if (!signer.provider) throw new TypeError('signer must be connected to a provider');
  const fee = options.protocolFeeBps ?? 250;
  if (!Number.isInteger(fee) || fee < 0 || fee > 1000)
    throw new RangeError(`protocolFeeBps must be 0-1000, got ${fee}`);
  for (const key of ['slashShareBps', 'slashRewardBps'] as const) {
    const value = options[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 10_000)) {
      throw new RangeError(`${key} must be 0-10000, got ${value}`);
    }
  }
  const regions = options.regions ?? [];
  for (const name of regions) {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('region names must be non-empty strings');
  }
  const provider = signer.provider;
  const self = await signer.getAddress();
  const { chainId } = await provider.getNetwork();

  let tokenAddress = options.token;
  if (tokenAddress === undefined) {
    const factory = new ContractFactory(TestStablecoinAbi, TestStablecoinBytecode, signer);
    const token = await step('TestStablecoin', async () =>
      deployed(provider, await factory.deploy('Mu Test USD', 'mUSD')),
    );
    tokenAddress = token.address;
  }
  const factory = new ContractFactory(MuMarketplaceAbi, MuMarketplaceBytecode, signer);
  const marketplaceContract = await step('MuMarketplace', async () =>
    factory.deploy(
      tokenAddress,
      options.owner ?? self,
      options.treasury ?? self,
      fee,
      options.minProviderDeposit ?? 100_000_000n,
      options.unbondingDelay ?? 7n * 24n * 3600n,
      options.settlementWindow ?? 24n * 3600n,
      options.slashShareBps ?? 1000,
      options.slashRewardBps ?? 5000,
    ),
  );
  const { address: marketplaceAddress, block } = await step('MuMarketplace', () =>
    deployed(provider, marketplaceContract),
  );
  const marketplace = connectMarketplace(marketplaceAddress, signer);
  const created: { id: number; name: string }[] = [];
  for (const name of regions) {
    await step(`createRegion(${name})`, async () =>
      confirmed(provider, (await marketplace.getFunction('createRegion')(name)).hash),
    );
    created.push({ id: created.length + 1, name });
  }
  return {
    chainId,
    token: new Contract(tokenAddress, TestStablecoinAbi, signer),
    tokenAddress,
    marketplace,
    marketplaceAddress,
    regions: created,
    deployBlock: block,
  };
}
